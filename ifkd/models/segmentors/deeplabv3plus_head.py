from typing import List

import torch
from mmseg.models.decode_heads import DepthwiseSeparableASPPHead
from mmseg.models.utils import resize
from torch import Tensor

from ifkd.registry import MODELS


@MODELS.register_module()
class DeepLabV3PlusHead(DepthwiseSeparableASPPHead):
    """mmseg's DeepLabV3+ head (`Encoder-Decoder with Atrous Separable
    Convolution <https://arxiv.org/abs/1802.02611>`_) with its decoder
    feature (the input of ``cls_seg``) exposed as :meth:`decode_feature`,
    which DisOptNet's fusion module needs. ``forward`` is unchanged.
    """

    def decode_feature(self, inputs: List[Tensor]) -> Tensor:
        """The decoder output (B, channels, H/4, W/4) before ``cls_seg``."""
        x = self._transform_inputs(inputs)
        aspp_outs = [
            resize(self.image_pool(x), size=x.size()[2:], mode='bilinear',
                   align_corners=self.align_corners)
        ]
        aspp_outs.extend(self.aspp_modules(x))
        output = self.bottleneck(torch.cat(aspp_outs, dim=1))
        if self.c1_bottleneck is not None:
            c1_output = self.c1_bottleneck(inputs[0])
            output = resize(output, size=c1_output.shape[2:],
                            mode='bilinear', align_corners=self.align_corners)
            output = torch.cat([output, c1_output], dim=1)
        return self.sep_bottleneck(output)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        return self.cls_seg(self.decode_feature(inputs))

