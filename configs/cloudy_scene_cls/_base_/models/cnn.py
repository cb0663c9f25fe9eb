# Small from-scratch CNN classifier (ifkd.ShipCNN: 3 x conv-BN-ReLU-pool,
# global average pooling, linear head); in_channels set per modality.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ifkd.ShipCNN', in_channels=13,
                  channels=(16, 32, 64), out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
