# The study's custom CNN: 3 x (conv3x3-BN-ReLU-maxpool), 64/128/256
# channels, then global average pooling and one linear layer (the study's
# Linear(200704, 4096) head is replaced; see ifkd.ShipCNN).
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ifkd.ShipCNN', in_channels=3, channels=(64, 128, 256),
        out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=3,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
