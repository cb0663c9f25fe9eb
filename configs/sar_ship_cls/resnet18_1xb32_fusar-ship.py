_base_ = [
    './_base_/models/resnet18.py',
    './_base_/datasets/fusar-ship_bs32.py',
    './_base_/schedules/sar-ship_sgd_30e.py', './_base_/default_runtime.py'
]

# ImageNet weights from mmpretrain's model zoo, fetched on first use
# (a machine without internet needs them in its torch hub cache).
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/resnet/resnet18_8xb32_in1k_20210831-fbbb1da6.pth',
            prefix='backbone')))
