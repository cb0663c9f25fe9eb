# The built-in synthetic SAR-aircraft set: same layout, classes and code path
# as SAR-AIRcraft-1.0, generated offline by
#   python tools/misc/gen_synthetic_sar_aircraft.py --out data/synthetic-sar-aircraft
# Small images so the whole teacher/student/IFKD pipeline runs on a CPU.
_base_ = './sar_aircraft_detection.py'

# IFKD_DATA_ROOT=/path/to/data moves every data_root below (train, val
# and test dataloaders and evaluators) at once: mmengine substitutes the
# environment variable when the config is read.
data_root = '{{$IFKD_DATA_ROOT:data/synthetic-sar-aircraft/}}'
img_scale = (256, 256)

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
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        filter_cfg=dict(filter_empty_gt=True, min_size=4),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(data_root=data_root)
test_evaluator = val_evaluator

