# MAVOC EO chips for the teacher (stage 1): EO only, a class-balanced
# sampler (the seed's WeightedRandomSampler draws each class about equally
# often), validation on a held-out id list of the training pairs.
_base_ = ['./mavoc_bs64.py']

train_dataloader = dict(
    dataset=dict(modalities=('eo', )),
    sampler=dict(_delete_=True, type='ifkd.InverseFrequencySampler'))
# The challenge has no EO test chips: validate on a held-out id list of the
# training pairs (one id a line), e.g. data/mavoc/splits/val.txt.
val_dataloader = dict(
    _delete_=True,
    batch_size=64,
    num_workers=4,
    dataset=dict(
        type='ifkd.PairedEOSARDataset',
        data_root=_base_.data_root,
        modalities=('eo', ),
        ann_file='splits/val.txt',
        pipeline=_base_.test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='ifkd.OODClassificationMetric')
test_dataloader = val_dataloader
test_evaluator = val_evaluator
