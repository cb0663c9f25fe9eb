# One modality of the real cloudy target domain as 'img' (`modality`:
# 's2_cloudy' or 's1'), for the auxiliaries' own configs; exported step-1
# students are tested with these. Splits as sen12ms-cr_target.py.
_base_ = ['./sen12ms-cr_target.py']
modality = 's2_cloudy'
train_pipeline = [
    dict(_base_.load_cfg, keys=dict(img=modality)),
    *_base_.flips,
    dict(type='PackInputs', meta_keys=_base_.meta_keys),
]
test_pipeline = [
    dict(_base_.load_cfg, keys=dict(img=modality)),
    dict(type='PackInputs', meta_keys=_base_.meta_keys),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
