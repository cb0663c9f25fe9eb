# SAR student of the synthetic set: ResNet18 with the small-image stem
# (ResNet_CIFAR, no stride in the stem) at an eighth of its width, one
# input channel (SAR amplitude). From scratch.
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=10,
        mean=[43.5],
        std=[27.2],
        to_rgb=False),
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        in_channels=1,
        stem_channels=8,
        base_channels=8,
        out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
