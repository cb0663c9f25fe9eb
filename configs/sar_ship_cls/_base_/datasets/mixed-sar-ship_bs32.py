# FUSAR-Ship and OpenSARShip merged: the union of both train splits and of
# both test splits, written by
# tools/dataset_converters/ship_dataset_prep.py --mixed-out (see the README).
_base_ = ['./sar-ship_224px_bs32.py']

dataset_type = 'ifkd.MixedShipDataset'
data_root = 'data/sar-ship-mixed/'
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(dataset_name='Mixed')
test_evaluator = val_evaluator
