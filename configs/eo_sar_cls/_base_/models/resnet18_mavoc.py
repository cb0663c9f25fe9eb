# ResNet18 with ImageNet weights (torchvision), 10 vehicle classes.
_base_ = ['./resnet50_mavoc.py']
model = dict(
    backbone=dict(
        depth=18,
        init_cfg=dict(checkpoint='torchvision://resnet18')),
    head=dict(in_channels=512))
