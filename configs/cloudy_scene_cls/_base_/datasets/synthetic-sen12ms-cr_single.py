# One modality of the cloudy target domain as 'img', for the
# single-modality auxiliaries' own configs (set `modality` to 's2_cloudy'
# or 's1'); exported step-1 students are tested with these.
_base_ = ['./synthetic-sen12ms-cr_source.py']
modality = 's2_cloudy'
train_pipeline = [
    dict(type='ifkd.LoadSEN12MSPatch', keys=dict(img=modality),
         band_stats='band_stats.json', clip=5.0, mask_clouds=True,
             cache=True),
    *_base_.flips,
    dict(type='PackInputs', meta_keys=_base_.meta_keys),
]
test_pipeline = [
    dict(type='ifkd.LoadSEN12MSPatch', keys=dict(img=modality),
         band_stats='band_stats.json', clip=5.0, mask_clouds=True,
             cache=True),
    dict(type='PackInputs', meta_keys=_base_.meta_keys),
]
train_dataloader = dict(
    dataset=dict(ann_file='splits/train.txt',
                 modalities=('s2_cloudy', 's1'), pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(modalities=('s2_cloudy', 's1'), pipeline=test_pipeline))
test_dataloader = val_dataloader
