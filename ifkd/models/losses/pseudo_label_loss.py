from typing import List, Union

from torch import Tensor, nn

from ifkd.registry import MODELS


@MODELS.register_module()
class PseudoLabelSegLoss(nn.Module):
    """Segmentation loss against the teacher's hard labels
    ``argmax_c T``: DisOptNet's ``seg(distillation branch, argmax T)``.

    Args:
        losses (dict | list[dict]): mmseg-style decode losses, each called
            as ``loss(logits, labels)`` and summed (DisOptNet: Dice + CE).
        loss_weight (float): Weight of the sum. Defaults to 1.0.
    """

    def __init__(self, losses: Union[dict, List[dict]],
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        losses = losses if isinstance(losses, list) else [losses]
        self.losses = nn.ModuleList(MODELS.build(cfg) for cfg in losses)
        self.loss_weight = loss_weight

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Args: student and teacher logits (N, C, H, W)."""
        if preds_S.shape != preds_T.shape:
            raise ValueError(
                f'Student logits {tuple(preds_S.shape)} and teacher logits '
                f'{tuple(preds_T.shape)} differ.')
        labels = preds_T.detach().argmax(dim=1)
        return self.loss_weight * sum(loss(preds_S, labels)
                                      for loss in self.losses)
