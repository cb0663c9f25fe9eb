_base_ = ['./vgg16_1xb32_fusar-ship.py']

# The ImageNet backbone frozen (all stages, BN statistics too); only a new
# head is trained: linear - ReLU - dropout - linear.
model = dict(
    backbone=dict(frozen_stages=5),
    head=dict(
        type='StackedLinearClsHead',
        in_channels=512,
        mid_channels=[256],
        dropout_rate=0.5))
