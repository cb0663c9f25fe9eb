# ResNet-18 scene classifier (auxiliaries, KD-S / optical -> SAR students):
# the selected S2 bands (10 channels) in by default, set
# backbone.in_channels=2 for S1; 10 simplified IGBP classes out.
# ImageNet weights from mmpretrain's model zoo (downloaded on first use into
# the torch hub cache; an offline machine needs the file there, or a local
# path in `imagenet_ckpt`). Their stem takes 3 (RGB) channels: mmengine
# loads every other weight and skips the size-mismatched `conv1.weight`
# with a warning, so the multi-band stem conv keeps PyTorch's default
# random initialisation and is learnt (bn1 and all after it start from
# ImageNet).
imagenet_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                 'resnet18_8xb32_in1k_20210831-fbbb1da6.pth')
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet', depth=18, in_channels=10, out_indices=(3, ),
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint=imagenet_ckpt,
                      prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
