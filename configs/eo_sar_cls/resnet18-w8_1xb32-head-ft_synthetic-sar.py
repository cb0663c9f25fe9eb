# Stage 3: head-only fine-tune of the distilled SAR student on a
# class-balanced sampler (re-balancing the classifier for the long tail).
# Stem and all four stages are frozen, BN statistics included, so only the
# linear head changes. load_from is the exported distilled student.
_base_ = ['./resnet18-w8_1xb32_synthetic-sar.py']

model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
train_dataloader = dict(
    sampler=dict(_delete_=True, type='ifkd.InverseFrequencySampler'))
load_from = ('work_dirs/kd_resnet18-w8-eo_resnet18-w8-sar_1xb32_'
             'synthetic-eo-sar/student_epoch_20.pth')
optim_wrapper = dict(optimizer=dict(lr=0.01))
train_cfg = dict(max_epochs=5, val_interval=5)
param_scheduler = dict(end=5)
