from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ifkd.registry import MODELS


@MODELS.register_module()
class MulticlassDiceLoss(nn.Module):
    """Soft multiclass Dice loss as segmentation_models_pytorch's
    ``DiceLoss(mode='multiclass', from_logits=True)``, which DisOptNet
    trains with (`Milletari et al., 3DV 2016
    <https://arxiv.org/abs/1606.04797>`_).

    With ``p = softmax(logits)`` and one-hot ``y`` (ignored pixels zeroed
    in both), per class ``c`` over the whole batch:
    ``dice_c = (2 sum p_c y_c + smooth) / max(sum p_c + sum y_c + smooth,
    eps)``; the loss is the mean over classes of ``1 - dice_c``, where a
    class absent from the batch's labels contributes 0. mmseg's own
    ``DiceLoss`` differs (per image, every class counted, exponent 2).

    Args:
        smooth (float): Added to numerator and denominator. Defaults to 0.
        eps (float): Lower bound of the denominator. Defaults to 1e-7.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Name in the loss dict. Defaults to 'loss_dice'.
    """

    def __init__(self,
                 smooth: float = 0.0,
                 eps: float = 1e-7,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_dice') -> None:
        super().__init__()
        self.smooth = smooth
        self.eps = eps
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: int = 255,
                **kwargs) -> Tensor:
        """Args: ``pred`` logits (N, C, H, W), ``target`` labels (N, H, W);
        ``weight`` is not supported (mmseg passes None)."""
        assert weight is None, 'MulticlassDiceLoss takes no pixel weights'
        num_classes = pred.shape[1]
        prob = pred.float().softmax(dim=1).flatten(2)  # N, C, HW
        target = target.flatten(1)
        valid = (target != ignore_index).unsqueeze(1).float()
        onehot = F.one_hot(target.clamp(0, num_classes - 1) * valid[:, 0]
                           .long(), num_classes).permute(0, 2, 1).float()
        prob, onehot = prob * valid, onehot * valid
        inter = (prob * onehot).sum(dim=(0, 2))
        card = (prob + onehot).sum(dim=(0, 2))
        dice = (2 * inter + self.smooth) / (card + self.smooth).clamp_min(
            self.eps)
        present = (onehot.sum(dim=(0, 2)) > 0).float()
        return self.loss_weight * ((1 - dice) * present).mean()

    @property
    def loss_name(self) -> str:
        return self._loss_name
