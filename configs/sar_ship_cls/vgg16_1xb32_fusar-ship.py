_base_ = [
    './_base_/models/vgg16.py',
    './_base_/datasets/fusar-ship_bs32.py',
    './_base_/schedules/sar-ship_sgd_30e.py', './_base_/default_runtime.py'
]

# ImageNet weights from mmpretrain's model zoo, fetched on first use
# (a machine without internet needs them in its torch hub cache).
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/vgg/vgg16_batch256_imagenet_20210208-db26f1a5.pth',
            prefix='backbone')))
