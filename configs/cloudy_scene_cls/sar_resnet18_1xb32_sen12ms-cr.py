# SAR auxiliary on its own (real data): S1 (VV, VH) as 'img', ImageNet
# ResNet-18 with a 2-channel stem. Distilled step-1 / optical-to-SAR
# students are exported and tested with this config.
_base_ = [
    './_base_/models/resnet18_sen12ms-cr.py',
    './_base_/datasets/sen12ms-cr_single.py', './_base_/schedules/sgd_20e.py',
    '../sar_ship_cls/_base_/default_runtime.py'
]
modality = 's1'
model = dict(backbone=dict(in_channels=2))
load_sar = dict(_base_.load_cfg, keys=dict(img=modality))
train_dataloader = dict(dataset=dict(pipeline=[
    load_sar, *_base_.flips,
    dict(type='PackInputs', meta_keys=_base_.meta_keys)
]))
val_dataloader = dict(dataset=dict(pipeline=[
    load_sar, dict(type='PackInputs', meta_keys=_base_.meta_keys)
]))
test_dataloader = val_dataloader
