_base_ = './retinanet_r50_fpn_1x_sar-aircraft.py'

# ImageNet weights: open-mmlab://mmdet/mobilenet_v2 (MMDetection model zoo)
model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        out_indices=(2, 4, 6),
        act_cfg=dict(type='ReLU6'),
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://mmdet/mobilenet_v2')),
    neck=dict(in_channels=[32, 96, 320], start_level=0))
# MobileNetV2's final 1x1 conv is computed but not fed to the FPN.
find_unused_parameters = True
