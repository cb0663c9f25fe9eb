# DisOptNet's teacher: DeepLabV3+ (mmseg's DepthwiseSeparableASPPHead,
# ASPP rates 12 / 24 / 36) on an EfficientNet-B3 encoder (timm, through
# mmseg's TIMMBackbone) at output stride 16, 4 input channels, 2 classes.
# ImageNet weights are read offline from a local timm file (download
# efficientnet_b3.ra2_in1k once, e.g. with timm on a machine online, and
# put it at `pretrained_file`); timm adapts the stem to 4 channels.
norm_cfg = dict(type='BN', requires_grad=True)
pretrained_file = 'checkpoints/timm/efficientnet_b3.ra2_in1k.pth'
data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor', mean=[127.5] * 4, std=[31.875] * 4,
    size=(512, 512), pad_val=0, seg_pad_val=255)
decode_losses = [
    dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
    dict(type='ifkd.MulticlassDiceLoss', loss_weight=1.0),
]
backbone = dict(
    type='mmseg.TIMMBackbone', model_name='efficientnet_b3', in_channels=4,
    out_indices=(1, 2, 3, 4), output_stride=16, pretrained=True,
    pretrained_cfg_overlay=dict(file=pretrained_file))
decode_head = dict(
    type='mmseg.DepthwiseSeparableASPPHead', in_channels=384, in_index=3,
    channels=256, dilations=(1, 12, 24, 36), c1_in_channels=32,
    c1_channels=48, dropout_ratio=0.0, num_classes=2, norm_cfg=norm_cfg,
    align_corners=False, loss_decode=decode_losses)
model = dict(
    type='mmseg.EncoderDecoder', data_preprocessor=data_preprocessor,
    backbone=backbone, decode_head=decode_head, train_cfg=dict(),
    test_cfg=dict(mode='whole'))
