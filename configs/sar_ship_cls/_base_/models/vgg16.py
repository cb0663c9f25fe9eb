# VGG16 (no BN, as torchvision's and the study's). Its 4096-wide fully
# connected layers are replaced by global average pooling and one linear
# layer: they fix the input at 224 px and hold 120 M of its 134 M weights.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='VGG', depth=16, num_classes=-1, out_indices=(4, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=3,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
