# Stage 3 on MAVOC: head-only fine-tune of the exported distilled student
# on a class-balanced sampler; stem, stages and BN statistics frozen.
_base_ = ['./resnet18_1xb64_mavoc-sar.py']

model = dict(
    backbone=dict(frozen_stages=4, norm_eval=True, init_cfg=None))
train_dataloader = dict(
    sampler=dict(_delete_=True, type='ifkd.InverseFrequencySampler'))
load_from = ('work_dirs/kd_resnet50-eo_resnet18-sar_1xb64_mavoc/'
             'student_epoch_30.pth')
optim_wrapper = dict(optimizer=dict(lr=0.001))
train_cfg = dict(max_epochs=5, val_interval=5)
param_scheduler = dict(_delete_=True, type='CosineAnnealingLR', T_max=5,
                       by_epoch=True)
