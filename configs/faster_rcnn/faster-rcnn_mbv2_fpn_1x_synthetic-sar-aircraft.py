_base_ = './faster-rcnn_r50_fpn_1x_synthetic-sar-aircraft.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        out_indices=(1, 2, 4, 6),
        act_cfg=dict(type='ReLU6'),
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=None),
    neck=dict(in_channels=[24, 32, 96, 320]))
