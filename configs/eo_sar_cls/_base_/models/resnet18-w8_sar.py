# SAR student of the synthetic set: the EO model's network (ResNet18 with
# the small-image stem at an eighth of its width) on one input channel,
# SAR amplitude, with its own mean / std. From scratch.
_base_ = ['./resnet18-w8_eo.py']
model = dict(
    data_preprocessor=dict(mean=[43.5], std=[27.2]),
    backbone=dict(in_channels=1))
