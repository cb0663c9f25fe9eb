# The SAR student alone with the seed's backbone (ViT-B/32 from CLIP
# weights); also the config for testing and inference of the exported
# distilled ViT student.
_base_ = [
    './_base_/models/vit-base-p32-clip_mavoc.py',
    './_base_/datasets/mavoc_bs64.py', './_base_/schedules/vit_adamw_30e.py',
    '../sar_ship_cls/_base_/default_runtime.py'
]
