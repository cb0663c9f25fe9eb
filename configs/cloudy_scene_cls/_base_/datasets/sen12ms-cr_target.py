# Real cloudy target domain: cloudy S2 ('opt', the selected bands) and S1
# ('sar', VV/VH) of each patch, flipped and rotated alike. The train
# split's labels are never used by the transfer configs (pseudo-labels
# only); the test split's labels score them per cloud-cover bucket.
_base_ = ['./sen12ms-cr_source.py']
modalities = dict(opt='opt_img', sar='sar_img')
load = dict(_base_.load_cfg, keys=dict(opt_img='s2_cloudy', sar_img='s1'))
train_pipeline = [
    load,
    dict(type='TransformBroadcaster',
         mapping={'img': ['opt_img', 'sar_img']},
         auto_remap=True,
         share_random_params=True,
         transforms=[*_base_.flips, dict(type='ifkd.RandomRot90')]),
    dict(type='ifkd.PackMultiModalInputs', modalities=modalities,
         meta_keys=_base_.meta_keys),
]
test_pipeline = [
    load,
    dict(type='ifkd.PackMultiModalInputs', modalities=modalities,
         meta_keys=_base_.meta_keys),
]
train_dataloader = dict(
    dataset=dict(ann_file='splits/train.txt',
                 modalities=('s2_cloudy', 's1'), pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(modalities=('s2_cloudy', 's1'), pipeline=test_pipeline))
test_dataloader = val_dataloader
