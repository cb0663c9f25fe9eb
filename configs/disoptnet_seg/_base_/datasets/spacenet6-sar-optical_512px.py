# SAR and optical channels of the SpaceNet 6 tiles together (stage 2): one
# geometric pipeline on the stack, then one results key per modality and
# inputs={'sar': ..., 'optical': ...}. Testing packs SAR only: the student
# predicts from SAR.
_base_ = ['./spacenet6_512px.py']
keys = dict(sar='sar_img', optical='optical_img')
train_pipeline = [
    dict(type='ifkd.LoadSAROpticalPair', modalities=('sar', 'optical')),
    *_base_.geometric,
    dict(type='ifkd.SplitModalities', keys=keys),
    dict(type='ifkd.PackSegMultiModalInputs', modalities=keys),
]
test_pipeline = [
    dict(type='ifkd.LoadSAROpticalPair', modalities=('sar', )),
    *_base_.test_geometric,
    dict(type='ifkd.SplitModalities', keys=keys),
    dict(type='ifkd.PackSegMultiModalInputs', modalities=keys),
]
train_dataloader = dict(
    batch_size=8, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=_base_.dataset_type, data_root=_base_.data_root,
                 data_prefix=_base_.data_prefix, pipeline=train_pipeline,
                 **_base_.train_split))
test_dataloader = dict(
    batch_size=8, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=_base_.dataset_type, data_root=_base_.data_root,
                 data_prefix=_base_.data_prefix, pipeline=test_pipeline,
                 **_base_.test_split))
val_dataloader = test_dataloader
val_evaluator = _base_.evaluator
test_evaluator = _base_.evaluator
