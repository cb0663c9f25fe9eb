# The synthetic SAR ship set (tools/misc/gen_synthetic_sar_ships.py; FUSAR
# layout, FUSAR class imbalance). Chips are small so that the set trains
# from scratch on a CPU; everything else is as for the real sets.
_base_ = ['./sar-ship_224px_bs32.py']

dataset_type = 'ifkd.FUSARShipDataset'
data_root = 'data/synthetic-sar-ship/'
img_size = 32

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(
        type='RandomFlip',
        prob=[0.25, 0.25],
        direction=['horizontal', 'vertical']),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs'),
]
# Tiny chips decode faster than worker processes start.
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(dataset_name='SyntheticShip')
test_evaluator = val_evaluator
