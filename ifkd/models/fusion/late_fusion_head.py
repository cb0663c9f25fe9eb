"""Late-fusion classification head with observable per-modality logits."""
from typing import Dict, Mapping

import torch
from mmpretrain.models.heads import ClsHead
from torch import Tensor, nn

from ifkd.registry import MODELS


@MODELS.register_module()
class LateFusionHead(ClsHead):
    """One linear classifier per modality; the fused logits are their sum.

    Summing per-modality linear maps is a linear layer on the concatenated
    features (its bias split over the modalities), so each modality's share
    of the fused logits is exact: ``branch_logits[m]`` is what OGM-GE
    (Peng et al., CVPR 2022, https://arxiv.org/abs/2203.15332) calls the
    modality's output, and balancing and imbalance diagnosis read it.

    Args:
        num_classes (int): Number of classes.
        in_channels (dict[str, int]): Modality -> pooled feature channels.
        **kwargs: See ``mmpretrain.models.ClsHead`` (loss, topk, ...).
    """

    def __init__(self, num_classes: int, in_channels: Mapping[str, int],
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.fcs = nn.ModuleDict({
            name: nn.Linear(channels, num_classes)
            for name, channels in in_channels.items()
        })
        self.branch_logits: Dict[str, Tensor] = {}

    def forward(self, feats: Mapping[str, Tensor]) -> Tensor:
        """Fused logits of ``{modality: (B, C) features}``; keeps each
        modality's logits in ``branch_logits``."""
        missing = set(self.fcs) - set(feats)
        if missing:
            raise KeyError(f'LateFusionHead: no features for modalities '
                           f'{sorted(missing)} (got {sorted(feats)}).')
        self.branch_logits = {name: fc(feats[name])
                              for name, fc in self.fcs.items()}
        return torch.stack(list(self.branch_logits.values())).sum(0)
