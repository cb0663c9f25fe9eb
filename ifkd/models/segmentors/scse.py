"""scSE attention and DisOptNet's fusion head."""
from typing import List

import torch
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor, nn

from ifkd.registry import MODELS


@MODELS.register_module()
class SCSEModule(nn.Module):
    """Concurrent spatial and channel squeeze & excitation (`Roy et al.,
    MICCAI 2018 <https://arxiv.org/abs/1803.02579>`_):
    ``x * cSE(x) + x * sSE(x)``, as segmentation_models_pytorch's
    ``SCSEModule`` that DisOptNet uses.

    Args:
        in_channels (int): Channels of ``x``.
        reduction (int): Squeeze ratio of the channel gate. Defaults to 16.
    """

    def __init__(self, in_channels: int, reduction: int = 16) -> None:
        super().__init__()
        hidden = max(1, in_channels // reduction)
        self.cse = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels, hidden, 1),
            nn.ReLU(inplace=True), nn.Conv2d(hidden, in_channels, 1),
            nn.Sigmoid())
        self.sse = nn.Sequential(nn.Conv2d(in_channels, 1, 1), nn.Sigmoid())

    def forward(self, x: Tensor) -> Tensor:
        return x * self.cse(x) + x * self.sse(x)


@MODELS.register_module()
class SCSEFusionHead(BaseDecodeHead):
    """DisOptNet's fusion of the SAR and the distillation decoder (`Kang et
    al., TGRS 2022 <https://doi.org/10.1109/TGRS.2022.3165209>`_): scSE on
    each decoder output, concatenation, 1x1 conv-BN-ReLU, scSE, then the
    classifier. Its inputs are the two decoder features, so ``in_channels``
    is ``[C, C]`` with ``input_transform='multiple_select'``.

    Args:
        reduction (int): scSE squeeze ratio. Defaults to 16.
        **kwargs: See ``BaseDecodeHead``.
    """

    def __init__(self, reduction: int = 16, **kwargs) -> None:
        kwargs.setdefault('input_transform', 'multiple_select')
        kwargs.setdefault('in_index', [0, 1])
        super().__init__(**kwargs)
        self.scse_inputs = nn.ModuleList(
            SCSEModule(c, reduction) for c in self.in_channels)
        self.fuse = ConvModule(
            sum(self.in_channels), self.channels, 1,
            conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        self.scse_out = SCSEModule(self.channels, reduction)

    def fuse_feature(self, inputs: List[Tensor]) -> Tensor:
        feats = self._transform_inputs(inputs)
        feats = [scse(f) for scse, f in zip(self.scse_inputs, feats)]
        return self.scse_out(self.fuse(torch.cat(feats, dim=1)))

    def forward(self, inputs: List[Tensor]) -> Tensor:
        return self.cls_seg(self.fuse_feature(inputs))
