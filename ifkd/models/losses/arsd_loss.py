from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from ifkd.registry import MODELS


@MODELS.register_module()
class ARSDLoss(nn.Module):
    """Core-feature imitation loss of `Adaptive Knowledge Distillation for
    Lightweight Remote Sensing Object Detectors Optimizing.

    <https://doi.org/10.1109/TGRS.2022.3175213>`_ (ARSD, TGRS 2022, MCFI), one
    FPN level: ``loss_weight * sum W (S - T)^2 / (2 N_pos)`` with the
    area-weighted core-feature mask W of ``ifkd.ARSDMaskConnector`` and N_pos
    its number of selected locations (the fine-grained-imitation
    normalisation ARSD builds on). Used both on the (adapted) FPN features
    and on the classification logits, as ARSD does; the authors' code uses
    0.01 for both. Computed in fp32; the teacher and the mask are detached.
    ARSD's other term, strict supervision regression distillation, is
    ``ifkd.SSRDSelectorConnector`` followed by an L1 loss.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 0.01.
    """

    def __init__(self, loss_weight: float = 0.01) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self,
                preds_S: Tensor,
                preds_T: Tensor,
                mask: Optional[Tensor] = None) -> Tensor:
        """Forward computation.

        Args:
            preds_S (Tensor): Student feature or logits (B, C, H, W).
            preds_T (Tensor): Teacher feature or logits (B, C, H, W).
            mask (Tensor, optional): Weights (B, 1, H, W), 0 outside the
                selected objects. Defaults to None (all ones).

        Returns:
            Tensor: The fp32 scalar loss (0 when nothing is selected).
        """
        assert preds_S.shape == preds_T.shape, \
            f'shape mismatch: {preds_S.shape} vs {preds_T.shape}'
        with torch.autocast(preds_S.device.type, enabled=False):
            err = (preds_S.float() - preds_T.detach().float()).pow(2)
            if mask is None:
                mask = err.new_ones(err.shape[0], 1, *err.shape[-2:])
            mask = mask.detach().float()
            num_pos = (mask > 0).sum().clamp(min=1)
            return self.loss_weight * (err * mask).sum() / (2 * num_pos)
