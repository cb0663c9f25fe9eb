# The optical channels of the SpaceNet 6 tiles, alone.
_base_ = ['./spacenet6_512px.py']
load = dict(type='ifkd.LoadSAROpticalPair', modalities=('optical', ))
train_pipeline = [load, *_base_.geometric, dict(type='mmseg.PackSegInputs')]
test_pipeline = [load, *_base_.test_geometric, dict(type='mmseg.PackSegInputs')]
train_dataloader = dict(
    batch_size=16, num_workers=0,
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
