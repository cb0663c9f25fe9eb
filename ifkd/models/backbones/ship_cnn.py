from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from torch import Tensor

from ifkd.registry import MODELS


@MODELS.register_module()
class ShipCNN(BaseBackbone):
    """The small CNN of the SAR ship classification study (FUSAR-Ship /
    OpenSARShip; Cargo, Fishing, Tanker): stages of
    conv3x3 - BN - ReLU - maxpool 2x2, 64 / 128 / 256 channels by default.

    Only the convolutional part is kept. The study flattens the last map
    into a ``Linear(200704, 4096)`` layer (about 822 M weights for 224 px
    inputs, more than a thousand times the convolutions), which ties the
    model to one input size and overfits the few hundred chips of a
    minority class. Configs instead add ``mmpretrain.GlobalAveragePooling``
    and a linear head: every input size works, the model stays small enough
    to be a distillation student, and its class scores are a linear map of
    per-location features, so the class activation map (CAM / Grad-CAM)
    and IFKD's class-activation mask are well defined on the last map::

        backbone=dict(type='ifkd.ShipCNN', in_channels=1),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=3,
                  in_channels=256)

    Args:
        in_channels (int): Input channels; 1 for single-channel SAR chips.
            Defaults to 1.
        channels (Sequence[int]): Output channels of each stage.
            Defaults to (64, 128, 256).
        out_indices (Sequence[int]): Stages whose outputs are returned,
            negative indices counting from the end. Defaults to (-1,), the
            last stage (index 2 for the three default stages).
        norm_cfg (dict): Normalisation layer. Defaults to ``dict(type='BN')``.
        init_cfg (dict or list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 1,
                 channels: Sequence[int] = (64, 128, 256),
                 out_indices: Sequence[int] = (-1, ),
                 norm_cfg: Dict = dict(type='BN'),
                 init_cfg: Optional[Union[Dict, List[Dict]]] = [
                     dict(type='Kaiming', layer=['Conv2d']),
                     dict(type='Constant', val=1., layer=['_BatchNorm'])
                 ]) -> None:
        super().__init__(init_cfg)
        num_stages = len(channels)
        if num_stages == 0:
            raise ValueError('ShipCNN: channels must name at least one stage.')
        self.out_indices = tuple(self._stage_index(i, num_stages)
                                 for i in out_indices)
        self.stages = nn.ModuleList()
        for out_ch in channels:
            self.stages.append(
                nn.Sequential(
                    ConvModule(in_channels, out_ch, 3, padding=1,
                               norm_cfg=norm_cfg),
                    nn.MaxPool2d(kernel_size=2, stride=2)))
            in_channels = out_ch

    @staticmethod
    def _stage_index(index: int, num_stages: int) -> int:
        if not -num_stages <= index < num_stages:
            raise ValueError(
                f'ShipCNN: out_indices entry {index} is out of range for '
                f'{num_stages} stages.')
        return index % num_stages

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
