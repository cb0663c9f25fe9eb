# SAR auxiliary on its own: S1 (VV, VH) as 'img'. Distilled step-1 /
# optical-to-SAR students are exported and tested with this config.
_base_ = [
    './_base_/models/cnn.py', './_base_/datasets/synthetic-sen12ms-cr_single.py',
    './_base_/schedule_synthetic.py', './_base_/default_runtime.py'
]
modality = 's1'
model = dict(backbone=dict(in_channels=2))
load_sar = dict(type='ifkd.LoadSEN12MSPatch', keys=dict(img=modality),
             band_stats='band_stats.json', clip=5.0, mask_clouds=True,
             cache=True)
train_dataloader = dict(dataset=dict(pipeline=[
    load_sar, *_base_.flips, dict(type='PackInputs', meta_keys=_base_.meta_keys)
]))
val_dataloader = dict(dataset=dict(pipeline=[
    load_sar, dict(type='PackInputs', meta_keys=_base_.meta_keys)
]))
test_dataloader = val_dataloader
