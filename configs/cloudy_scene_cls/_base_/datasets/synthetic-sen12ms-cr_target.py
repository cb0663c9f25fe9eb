# Cloudy target domain: cloudy S2 ('opt', 13 bands) and S1 ('sar', VV/VH)
# of each patch, flipped and rotated alike (one shared draw). The train
# split's labels are never used by the transfer configs (pseudo-labels
# only); the test split's labels score them per cloud-cover bucket.
_base_ = ['./synthetic-sen12ms-cr_source.py']
modalities = dict(opt='opt_img', sar='sar_img')
load = dict(type='ifkd.LoadSEN12MSPatch',
            keys=dict(opt_img='s2_cloudy', sar_img='s1'),
            band_stats='band_stats.json', clip=5.0, mask_clouds=True,
             cache=True)
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
