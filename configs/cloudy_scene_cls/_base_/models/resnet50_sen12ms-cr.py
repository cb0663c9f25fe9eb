# ResNet-50 source model: resnet18_sen12ms-cr.py (stem and ImageNet
# loading explained there) at depth 50 with its own ImageNet weights.
_base_ = ['./resnet18_sen12ms-cr.py']
imagenet_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                 'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
model = dict(
    backbone=dict(depth=50, init_cfg=dict(checkpoint=imagenet_ckpt)),
    head=dict(in_channels=2048))
