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
# MobileNetV2's final 1x1 conv is computed but not fed to the FPN.
find_unused_parameters = True
