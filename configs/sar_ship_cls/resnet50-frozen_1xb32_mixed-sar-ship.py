_base_ = ['./resnet50_1xb32_mixed-sar-ship.py']

# The ImageNet backbone frozen (all stages, BN statistics too); only a new
# head is trained: linear - ReLU - dropout - linear.
model = dict(
    backbone=dict(frozen_stages=4, norm_eval=True),
    head=dict(
        type='StackedLinearClsHead',
        in_channels=2048,
        mid_channels=[256],
        dropout_rate=0.5))
