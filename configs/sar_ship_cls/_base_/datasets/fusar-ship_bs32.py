# FUSAR-Ship 1.0 (Cargo / Fishing / Tanker). Unpack the release to
# data/FUSAR_Ship1.0/ and write its split files with
# tools/dataset_converters/ship_dataset_prep.py (see the README).
_base_ = ['./sar-ship_224px_bs32.py']

dataset_type = 'ifkd.FUSARShipDataset'
data_root = 'data/FUSAR_Ship1.0/'
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(dataset_name='FusarShip')
test_evaluator = val_evaluator
