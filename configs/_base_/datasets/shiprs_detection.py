# ShipRSImageNet V1 (Zhang et al., 2021), VOC format, level-3 classes (50),
# as in the paper. Point `data_root` at ShipRSImageNet_V1/VOC_Format/.
_base_ = './sar_aircraft_detection.py'

dataset_type = 'ifkd.ShipRSImageNetDataset'
# IFKD_DATA_ROOT=/path/to/data moves every data_root below (train, val
# and test dataloaders and evaluators) at once: mmengine substitutes the
# environment variable when the config is read.
data_root = '{{$IFKD_DATA_ROOT:data/ShipRSImageNet_V1/VOC_Format/}}'
level = 3
img_scale = (1024, 1024)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        level=level,
        ann_file='ImageSets/train.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        level=level,
        ann_file='ImageSets/val.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    data_root=data_root, level=level, ann_file='ImageSets/val.txt')
test_evaluator = val_evaluator
