# EO teacher of the synthetic set: ResNet18 with the small-image stem
# (ResNet_CIFAR) at an eighth of its width, 3 channels. From scratch.
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=10,
        mean=[106.6, 107.0, 107.4],
        std=[24.8, 24.8, 25.8],
        to_rgb=False),
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        in_channels=3,
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
