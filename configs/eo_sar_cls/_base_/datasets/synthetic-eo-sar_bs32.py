# The synthetic EO / SAR pair set (tools/misc/gen_synthetic_eo_sar.py; the
# challenge layout, its long tail). Chips are 32 px so that every stage
# trains from scratch on a CPU. This base trains on SAR alone and tests on
# the SAR test folder with its labels and OOD list; the EO teacher and the
# paired (distillation) configs replace the train / test sets.
data_root = 'data/synthetic-eo-sar/'
img_size = 32

# One geometric draw for the whole pair: a flip and a rotation by 0 / 90 /
# 180 / 270 degrees, the same for every modality loaded (the seed's code
# augmented each image independently, which misaligns the pair).
pair_geometry = dict(
    type='TransformBroadcaster',
    mapping=dict(img=['eo_img', 'sar_img']),
    auto_remap=True,
    share_random_params=True,
    transforms=[
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='ifkd.RandomRot90', prob=0.75),
    ])
load_eo = dict(
    type='KeyMapper',
    mapping=dict(img_path='eo_path', img='eo_img'),
    auto_remap=True,
    transforms=[dict(type='LoadImageFromFile')])
load_sar = dict(
    type='KeyMapper',
    mapping=dict(img_path='sar_path', img='sar_img'),
    auto_remap=True,
    transforms=[dict(type='LoadImageFromFile', color_type='grayscale')])
paired_train_pipeline = [
    load_eo, load_sar, pair_geometry,
    dict(type='ifkd.PackMultiModalInputs',
         modalities=dict(eo='eo_img', sar='sar_img')),
]

# Single-modality pipelines (the teacher's and the student's own configs).
sar_train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ifkd.RandomRot90', prob=0.75),
    dict(type='PackInputs'),
]
sar_test_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='PackInputs'),
]
eo_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ifkd.RandomRot90', prob=0.75),
    dict(type='PackInputs'),
]
eo_test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=32,
    # Tiny chips decode faster than worker processes start.
    num_workers=0,
    dataset=dict(
        type='ifkd.PairedEOSARDataset',
        data_root=data_root,
        modalities=('sar', ),
        pipeline=sar_train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
test_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(
        type='ifkd.EOSARTestDataset',
        data_root=data_root,
        img_dir='test',
        prefix='SAR_',
        ids_file='test/ids.txt',
        labels_file='test_labels.csv',
        ood_file='test_ood.txt',
        pipeline=sar_test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_dataloader = test_dataloader
# Top-1 and per-class accuracy on the labelled chips, AUROC of labelled vs
# OOD chips and the challenge score. A plain test run only has softmax
# scores (max-softmax); the inference tool adds the energy score and TTA.
test_evaluator = dict(
    type='ifkd.OODClassificationMetric', challenge_score='max_softmax')
val_evaluator = test_evaluator
