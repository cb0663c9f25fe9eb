_base_ = './retinanet_r50_fpn_1x_synthetic-sar-aircraft.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        out_indices=(2, 4, 6),
        act_cfg=dict(type='ReLU6'),
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=None),
    neck=dict(in_channels=[32, 96, 320], start_level=0))
