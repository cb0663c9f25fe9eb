from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ifkd.registry import MODELS


def _masked_mean(loss_map: Tensor, mask: Optional[Tensor]) -> Tensor:
    """``sum(M * loss_map) / sum_{b,h,w}(M)`` with M = 1 when None.

    ``loss_map`` is element-wise (B, C, H, W); the mask (B, 1, H, W)
    broadcasts over channels, so channels are summed, not averaged, as in
    IFKD Eq. 12-13.
    """
    if mask is None:
        b, _, h, w = loss_map.shape
        return loss_map.sum() / (b * h * w)
    mask = mask.detach().float()
    assert mask.shape[1] == 1 and mask.shape[-2:] == loss_map.shape[-2:], \
        f'mask {tuple(mask.shape)} does not fit {tuple(loss_map.shape)}'
    # An all-zero mask selects nothing: the loss is 0, not 0 / 0.
    return (loss_map * mask).sum() / mask.sum().clamp_min(1e-12)


@MODELS.register_module()
class IFKDFeatLoss(nn.Module):
    """Masked feature imitation loss of `Information Fusion with Knowledge
    Distillation for Fine-grained Remote Sensing Object Detection.

    <https://doi.org/10.1145/3664647.3681684>`_ (IFKD, Eq. 12), one FPN level:
    ``loss_weight * sum_{b,c,h,w} M (S - T)^2 / sum_{b,h,w} M``, normalised
    by the mask sum as in FRS (Du et al., 2021). The paper's text does not
    fix whether channels are summed or averaged; this form, a channel sum,
    is reconstructed from FRS's masked feature loss, so ``alpha`` weighs
    C = 256 summed channels (0.06 is about 12x FRS's own feature weight).
    Computed in fp32; the mask
    is detached. The target is not: the teacher runs without grad, so the
    only parameters behind it are FDR's learnable filter (and EDE's channel
    adapter, if any), which learn through this loss as in the paper.

    Args:
        loss_weight (float): Weight of the loss (alpha of Eq. 14). Defaults
            to 0.06.
    """

    def __init__(self, loss_weight: float = 0.06) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self,
                preds_S: Tensor,
                preds_T: Tensor,
                mask: Optional[Tensor] = None) -> Tensor:
        """Forward computation.

        Args:
            preds_S (Tensor): Adapted student feature (B, C, H, W).
            preds_T (Tensor): Teacher target (B, C, H, W) (after EDE/FDR).
            mask (Tensor, optional): Location weights (B, 1, H, W), e.g. the
                HSM mask. Defaults to None (all ones).

        Returns:
            Tensor: The fp32 scalar loss.
        """
        assert preds_S.shape == preds_T.shape, \
            f'shape mismatch: {preds_S.shape} vs {preds_T.shape}'
        with torch.autocast(preds_S.device.type, enabled=False):
            diff = preds_S.float() - preds_T.float()
            return self.loss_weight * _masked_mean(diff.pow(2), mask)


@MODELS.register_module()
class IFKDHeadLoss(nn.Module):
    """Masked classification-head distillation loss of `Information Fusion
    with Knowledge Distillation for Fine-grained Remote Sensing Object
    Detection.

    <https://doi.org/10.1145/3664647.3681684>`_ (IFKD, Eq. 13), one FPN level:
    ``loss_weight * sum M * BCE(sigmoid(S), sigmoid(T)) / sum_{b,h,w} M``,
    with the BCE summed over channels. Uses
    ``binary_cross_entropy_with_logits`` in fp32 (AMP-safe, no log(0)); the
    teacher and the mask are detached.

    Args:
        loss_weight (float): Weight of the loss (beta of Eq. 14). Defaults to
            0.5.
    """

    def __init__(self, loss_weight: float = 0.5) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self,
                preds_S: Tensor,
                preds_T: Tensor,
                mask: Optional[Tensor] = None) -> Tensor:
        """Forward computation.

        Args:
            preds_S (Tensor): Student classification logits (B, C, H, W).
            preds_T (Tensor): Teacher classification logits (B, C, H, W).
            mask (Tensor, optional): Location weights (B, 1, H, W). Defaults
                to None (all ones).

        Returns:
            Tensor: The fp32 scalar loss.
        """
        assert preds_S.shape == preds_T.shape, \
            f'shape mismatch: {preds_S.shape} vs {preds_T.shape}'
        with torch.autocast(preds_S.device.type, enabled=False):
            bce = F.binary_cross_entropy_with_logits(
                preds_S.float(),
                preds_T.detach().float().sigmoid(),
                reduction='none')
            return self.loss_weight * _masked_mean(bce, mask)
