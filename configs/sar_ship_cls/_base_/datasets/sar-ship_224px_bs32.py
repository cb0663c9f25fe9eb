# Shared by the real-data sets (FUSAR-Ship, OpenSARShip, mixed): chips are
# resized to 224 px, the input size of the ImageNet-initialised backbones.
# Single-channel chips are read as three equal channels, so that ImageNet
# weights (and mmpretrain's VGG, whose stem takes 3 channels) apply and a
# teacher and a student always see the same input.
dataset_type = 'ifkd.FUSARShipDataset'
data_root = 'data/FUSAR_Ship1.0/'
img_size = 224

data_preprocessor = dict(
    # typed, since a distillation algorithm (unlike ImageClassifier) does
    # not default it
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=3,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=False)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size)),
    # A chip's orientation carries no class information in SAR.
    dict(
        type='RandomFlip',
        prob=[0.25, 0.25],
        direction=['horizontal', 'vertical']),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='splits/train.txt',
        pipeline=train_pipeline),
    # Draws each class about equally often (with replacement): the
    # minority classes are 8-25 % of the real sets.
    sampler=dict(type='ifkd.InverseFrequencySampler'))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='splits/test.txt',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader

# Accuracy, per-class precision / recall / F1, macro and weighted F1, the
# confusion matrix.
val_evaluator = dict(type='ifkd.ClassificationMetric')
test_evaluator = val_evaluator
