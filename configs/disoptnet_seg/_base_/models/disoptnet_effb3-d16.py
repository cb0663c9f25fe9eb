# The DisOptNet student on the EfficientNet-B3 of deeplabv3plus_effb3-d16:
# SAR encoder + DeepLabV3+ decoder, a distillation branch re-running the
# last two stages (own weights) with its own DeepLabV3+ decoder, and the
# scSE fusion head that predicts.
_base_ = ['./deeplabv3plus_effb3-d16.py']
head = dict(_base_.decode_head, type='ifkd.DeepLabV3PlusHead')
model = dict(
    type='ifkd.DisOptNet',
    decode_head=head,
    distill_head=head,
    fusion_head=dict(
        type='ifkd.SCSEFusionHead', in_channels=[256, 256], channels=256,
        reduction=16, dropout_ratio=0.0, num_classes=2,
        norm_cfg=_base_.norm_cfg, align_corners=False,
        loss_decode=_base_.decode_losses),
    branch_stages=2)
