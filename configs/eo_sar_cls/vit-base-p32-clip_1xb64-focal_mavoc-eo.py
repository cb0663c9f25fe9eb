# Stage 1 with the seed's backbone: the EO teacher is ViT-B/32 from CLIP
# weights (_base_/models/vit-base-p32-clip_mavoc.py), focal loss (gamma
# 0.5) and a class-balanced sampler; AdamW with gradient clipping, as
# mmpretrain's CLIP fine-tuning.
_base_ = [
    './_base_/models/vit-base-p32-clip_mavoc.py',
    './_base_/datasets/mavoc-eo_bs64.py',
    './_base_/schedules/vit_adamw_30e.py',
    '../sar_ship_cls/_base_/default_runtime.py'
]

model = dict(
    head=dict(
        loss=dict(_delete_=True, type='ifkd.SoftmaxFocalLoss', gamma=0.5)))
