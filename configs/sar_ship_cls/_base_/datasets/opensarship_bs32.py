# OpenSARShip patches (Cargo / Fishing / Tanker). Write the split files
# with tools/dataset_converters/ship_dataset_prep.py (see the README).
_base_ = ['./sar-ship_224px_bs32.py']

dataset_type = 'ifkd.OpenSARShipDataset'
data_root = 'data/OpenSARShip/'
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(dataset_name='OpenSARShip')
test_evaluator = val_evaluator
