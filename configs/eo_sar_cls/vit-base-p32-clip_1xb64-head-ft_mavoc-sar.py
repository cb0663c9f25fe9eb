# Stage 3 with the seed's backbone: head-only fine-tune of the exported
# distilled ViT student on a class-balanced sampler; patch embedding,
# position embedding, all 12 layers and the final norm frozen.
_base_ = ['./vit-base-p32-clip_1xb64_mavoc-sar.py']

model = dict(backbone=dict(frozen_stages=12, init_cfg=None))
train_dataloader = dict(
    sampler=dict(_delete_=True, type='ifkd.InverseFrequencySampler'))
load_from = ('work_dirs/kd_vit-base-p32-clip-eo_vit-base-p32-clip-sar_1xb64_'
             'mavoc/student_epoch_30.pth')
train_cfg = dict(max_epochs=5, val_interval=5)
param_scheduler = dict(_delete_=True, type='CosineAnnealingLR', T_max=5,
                       by_epoch=True)
