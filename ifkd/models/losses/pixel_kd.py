from typing import Optional

import torch
from torch import Tensor, nn

from ifkd.registry import MODELS


@MODELS.register_module()
class PixelKDLoss(nn.Module):
    """Pixel-wise distillation of segmentation logits (`Liu et al., CVPR
    2019 <https://arxiv.org/abs/1903.04197>`_), as DisOptNet uses it:
    at each pixel ``-sum_c softmax(T / tau)_c * log_softmax(S / tau)_c``
    (the cross-entropy to the teacher's soft labels), times ``tau**2``.

    ``normalize`` sets the reduction over the (N, H, W) pixel map:

    * ``'pixel'``: the mean over N * H * W pixels (batch-size free);
    * ``'seed'``: the sum divided by H * W, as the DisOptNet code's
      ``CriterionPixelWise`` (N times ``'pixel'``);
    * with a ``mask`` (B, 1, H, W), e.g. IFKD's HSM: ``sum(M * l) / sum(M)``
      under ``'pixel'``, times N under ``'seed'``.

    mmrazor's ``KLDivergence(reduction='batchmean')`` instead sums over
    H * W (it grows with the map size) and omits the teacher's entropy.

    Args:
        tau (float): Temperature. Defaults to 1.0.
        normalize (str): ``'pixel'`` or ``'seed'``. Defaults to ``'pixel'``.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 tau: float = 1.0,
                 normalize: str = 'pixel',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if normalize not in ('pixel', 'seed'):
            raise ValueError(f"normalize={normalize!r}: use 'pixel' or "
                             "'seed'.")
        self.tau = tau
        self.normalize = normalize
        self.loss_weight = loss_weight

    def forward(self,
                preds_S: Tensor,
                preds_T: Tensor,
                mask: Optional[Tensor] = None) -> Tensor:
        """Args: student and teacher logits (N, C, H, W), the same shape;
        optional location weights ``mask`` (N, 1, H, W)."""
        if preds_S.shape != preds_T.shape:
            raise ValueError(
                f'Student logits {tuple(preds_S.shape)} and teacher logits '
                f'{tuple(preds_T.shape)} differ: distil maps of one size '
                '(resize in the decode heads or pick matching recorders).')
        soft_t = (preds_T.detach().float() / self.tau).softmax(dim=1)
        log_s = (preds_S.float() / self.tau).log_softmax(dim=1)
        loss_map = -(soft_t * log_s).sum(dim=1, keepdim=True)
        if mask is None:
            loss = loss_map.mean()
        else:
            mask = mask.detach().float()
            loss = (loss_map * mask).sum() / mask.sum().clamp_min(1e-12)
        if self.normalize == 'seed':
            loss = loss * preds_S.shape[0]
        return self.loss_weight * self.tau**2 * loss
