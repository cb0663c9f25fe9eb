# Labelled, cloud-free source domain: clear S2 (13 bands) as 'img'.
# Normalised in the loader with band_stats.json of the data root
# (tools/analysis_tools/sen12ms_band_stats.py).
dataset_type = 'ifkd.SEN12MSDataset'
data_root = 'data/synthetic-sen12ms-cr/'
meta_keys = ('sample_idx', 's2_name', 'cloud_cover', 'img_shape',
             'ori_shape', 'flip', 'flip_direction')
flips = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
]
train_pipeline = [
    dict(type='ifkd.LoadSEN12MSPatch', keys=dict(img='s2'),
         band_stats='band_stats.json', clip=5.0, mask_clouds=True,
             cache=True),
    *flips,
    dict(type='PackInputs', meta_keys=meta_keys),
]
# The source on the test split's clear S2 (its own domain).
test_pipeline = [
    dict(type='ifkd.LoadSEN12MSPatch', keys=dict(img='s2'),
         band_stats='band_stats.json', clip=5.0, mask_clouds=True,
             cache=True),
    dict(type='PackInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='splits/source.txt', modalities=('s2', 's1',
                                                           's2_cloudy'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='splits/test.txt', modalities=('s2', 's1',
                                                         's2_cloudy'),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='ifkd.ClassificationMetric'),
    dict(type='ifkd.CloudCoverAccuracy', edges=(0.3, 0.7)),
]
test_evaluator = val_evaluator
