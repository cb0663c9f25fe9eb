from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.losses.utils import weight_reduce_loss
from torch import Tensor

from ifkd.registry import MODELS


def soft_targets(label: Tensor, num_classes: int) -> Tensor:
    """(N, C) float targets from class indices (N,) / (N, 1) or from
    one-hot / soft labels (N, C), checked against ``num_classes``."""
    if label.dim() == 2 and label.shape[1] == num_classes > 1:
        return label.float()
    if label.dim() == 2 and label.shape[1] == 1:
        label = label.view(-1)
    if label.dim() != 1 or label.is_floating_point():
        raise ValueError(
            f'label must be class indices (N,) or soft labels (N, '
            f'{num_classes}), got {tuple(label.shape)} {label.dtype}.')
    if label.numel() and (label.min() < 0 or label.max() >= num_classes):
        raise ValueError(
            f'label values must lie in [0, {num_classes}), got '
            f'[{int(label.min())}, {int(label.max())}]: check the '
            "dataset's classes against the head's num_classes.")
    return F.one_hot(label.long(), num_classes).float()


def softmax_focal_loss(cls_score: Tensor,
                       target: Tensor,
                       gamma: float = 2.0,
                       alpha: Optional[Tensor] = None) -> Tensor:
    """Per-sample softmax focal loss
    ``-sum_c alpha_c t_c (1 - p_c)^gamma log p_c`` with ``p = softmax(x)``.

    Args:
        cls_score (Tensor): Logits (N, C).
        target (Tensor): Float targets (N, C), one-hot or soft.
        gamma (float): Focusing parameter; 0 gives cross-entropy.
        alpha (Tensor, optional): Per-class weights (C,).

    Returns:
        Tensor: Loss per sample, shape (N,).
    """
    log_p = F.log_softmax(cls_score.float(), dim=1)
    # clamp: exp(log_p) may round above 1, and (negative) ** gamma is NaN.
    modulator = (1 - log_p.exp()).clamp(min=0).pow(gamma)
    weight = target.float() * modulator
    if alpha is not None:
        weight = weight * alpha.to(weight)
    return -(weight * log_p).sum(dim=1)


@MODELS.register_module()
class SoftmaxFocalLoss(nn.Module):
    """Softmax (multi-class) focal loss of `Focal Loss for Dense Object
    Detection <https://arxiv.org/abs/1708.02002>`_ (Lin et al., ICCV 2017),
    ``FL(p_t) = -alpha_t (1 - p_t)^gamma log p_t``, for single-label
    classification under class imbalance.

    mmpretrain's ``FocalLoss`` is the sigmoid (one-vs-rest) form; this one
    normalises over the classes, so ``gamma=0`` and no ``alpha`` is exactly
    cross-entropy. Soft or one-hot labels (N, C), e.g. from mixup, give
    ``-sum_c alpha_c t_c (1 - p_c)^gamma log p_c``.

    Use it as a ``ClsHead``'s loss::

        head=dict(type='mmpretrain.LinearClsHead', num_classes=3,
                  in_channels=256,
                  loss=dict(type='ifkd.SoftmaxFocalLoss', gamma=2.0))

    Args:
        gamma (float): Focusing parameter (>= 0). Defaults to 2.0.
        alpha (Sequence[float], optional): Per-class weights, one per class
            (e.g. inverse class frequencies). Defaults to None (all 1).
        reduction (str): 'none', 'mean' or 'sum'. Defaults to 'mean'.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 gamma: float = 2.0,
                 alpha: Optional[Sequence[float]] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if gamma < 0:
            raise ValueError(f'SoftmaxFocalLoss: gamma must be >= 0, got '
                             f'{gamma}.')
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f'SoftmaxFocalLoss: reduction must be none, '
                             f'mean or sum, got {reduction!r}.')
        self.gamma = gamma
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.alpha: Optional[Tensor]
        if alpha is None:
            self.alpha = None
        else:
            self.register_buffer(
                'alpha', torch.tensor(list(alpha), dtype=torch.float),
                persistent=False)

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the loss.

        Args:
            cls_score (Tensor): Logits (N, C).
            label (Tensor): Class indices (N,) or one-hot / soft labels
                (N, C).
            weight (Tensor, optional): Sample weights (N,).
            avg_factor (float, optional): Divisor of the summed loss when
                the reduction is 'mean' (``ClsHead`` passes N).
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: The loss.
        """
        assert reduction_override in (None, 'none', 'mean', 'sum')
        reduction = reduction_override or self.reduction
        num_classes = cls_score.shape[1]
        if self.alpha is not None and self.alpha.numel() != num_classes:
            raise ValueError(
                f'SoftmaxFocalLoss: alpha has {self.alpha.numel()} values '
                f'but the head predicts {num_classes} classes; give one '
                'alpha per class.')
        target = soft_targets(label, num_classes)
        loss = softmax_focal_loss(cls_score, target, self.gamma, self.alpha)
        if weight is not None:
            weight = weight.float().view(-1)
        loss = weight_reduce_loss(loss, weight, reduction, avg_factor)
        return self.loss_weight * loss
