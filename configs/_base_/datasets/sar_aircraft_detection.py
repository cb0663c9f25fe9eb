# SAR-AIRcraft-1.0 (Wang et al., 2023), read straight from its own VOC layout:
#   data/SAR-AIRcraft-1.0/{JPEGImages,Annotations,ImageSets/Main/{train,test}.txt}
# Point `data_root` at the unpacked dataset; no conversion step is needed.
dataset_type = 'ifkd.SARAircraftDataset'
# IFKD_DATA_ROOT=/path/to/data moves every data_root below (train, val
# and test dataloaders and evaluators) at once: mmengine substitutes the
# environment variable when the config is read.
data_root = '{{$IFKD_DATA_ROOT:data/SAR-AIRcraft-1.0/}}'
img_scale = (800, 800)
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Main/train.txt',
        data_prefix=dict(img='JPEGImages/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Main/test.txt',
        data_prefix=dict(img='JPEGImages/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# COCO-style mAP, AP50 and AP75 (the paper's metrics) against the VOC split.
val_evaluator = dict(
    type='ifkd.VOCCocoMetric',
    data_root=data_root,
    ann_file='ImageSets/Main/test.txt',
    metric='bbox',
    format_only=False,
    backend_args=backend_args)
test_evaluator = val_evaluator
