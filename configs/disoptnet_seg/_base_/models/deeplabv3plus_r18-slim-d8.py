# DeepLabV3+ (mmseg's DepthwiseSeparableASPPHead) on a slim ResNet-18-V1c
# (stem 16, widths 16-128) for the 64 px synthetic tiles: output stride 8
# (last two stages dilated) and ASPP rates scaled down to the small maps.
# Trained from scratch.
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor', mean=[127.5] * 4, std=[31.875] * 4,
    size=(48, 48), pad_val=0, seg_pad_val=255)
decode_losses = [
    dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
    dict(type='ifkd.MulticlassDiceLoss', loss_weight=1.0),
]
backbone = dict(
    type='mmseg.ResNetV1c', depth=18, in_channels=4, stem_channels=16,
    base_channels=16, num_stages=4, out_indices=(0, 1, 2, 3),
    strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), norm_cfg=norm_cfg,
    contract_dilation=True)
decode_head = dict(
    type='mmseg.DepthwiseSeparableASPPHead', in_channels=128, in_index=3,
    channels=32, dilations=(1, 3, 6, 9), c1_in_channels=16, c1_channels=8,
    dropout_ratio=0.0, num_classes=2, norm_cfg=norm_cfg,
    align_corners=False, loss_decode=decode_losses)
model = dict(
    type='mmseg.EncoderDecoder', data_preprocessor=data_preprocessor,
    backbone=backbone, decode_head=decode_head, train_cfg=dict(),
    test_cfg=dict(mode='whole'))
