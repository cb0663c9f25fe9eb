from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ifkd.registry import MODELS


def instance_embeddings(feat: Tensor, regions: Tensor) -> Tensor:
    """Mean feature inside each instance's cells, (N, C), L2-normalised."""
    embs = [
        feat[b, :, y0:y1, x0:x1].mean(dim=(1, 2))
        for b, x0, y0, x1, y1 in regions.tolist()
    ]
    return F.normalize(torch.stack(embs), dim=1)


@MODELS.register_module()
class InsDistLoss(nn.Module):
    """Instance-aware distillation loss of `Instance-Aware Distillation for
    Efficient Object Detection in Remote Sensing Images.

    <https://doi.org/10.1109/TGRS.2023.3238801>`_ (InsDist, TGRS 2023), one
    FPN level, with the instance mask and regions of
    ``ifkd.InsDistMaskConnector``:

    * feature: ``w_fg ||M (S - T)||_2 + w_bg ||(1 - M)(S - T)||_2``
      (square roots of the masked sums of squares, as in the authors' code);
    * relation: ``w_rel mean_ij (R_s - R_t)_ij^2`` where ``R = E E^T`` is the
      cosine-similarity matrix of all instances of the batch (``E``: mean
      feature inside each box, normalised), so the student keeps the
      teacher's intra-class compactness and inter-class dispersion.

    The weights are ours (the paper's values are not reproduced here): the
    feature weights follow FKD's square-root L2 scale.

    Args:
        weight_fg (float): Foreground feature weight. Defaults to 1e-3.
        weight_bg (float): Background feature weight. Defaults to 1e-4.
        weight_rel (float): Relation weight. Defaults to 1.0.
    """

    def __init__(self,
                 weight_fg: float = 1e-3,
                 weight_bg: float = 1e-4,
                 weight_rel: float = 1.0) -> None:
        super().__init__()
        self.weight_fg = weight_fg
        self.weight_bg = weight_bg
        self.weight_rel = weight_rel

    def forward(self, preds_S: Tensor, preds_T: Tensor,
                masks: Tuple[Tensor, Tensor]) -> Tensor:
        """Forward computation.

        Args:
            preds_S (Tensor): Adapted student feature (B, C, H, W).
            preds_T (Tensor): Teacher feature (B, C, H, W).
            masks (tuple[Tensor]): ``(mask, regions)``: the (B, 1, H, W)
                instance mask and (N, 5) ``batch_idx, x0, y0, x1, y1``.

        Returns:
            Tensor: The fp32 scalar loss.
        """
        assert preds_S.shape == preds_T.shape, \
            f'shape mismatch: {preds_S.shape} vs {preds_T.shape}'
        mask, regions = masks
        with torch.autocast(preds_S.device.type, enabled=False):
            s, t = preds_S.float(), preds_T.detach().float()
            mask = mask.detach().float()
            err = (s - t).pow(2)
            # eps keeps the sqrt differentiable at an empty region
            fg = ((err * mask).sum() + 1e-8).sqrt()
            bg = ((err * (1 - mask)).sum() + 1e-8).sqrt()
            loss = self.weight_fg * fg + self.weight_bg * bg
            if len(regions) > 1 and self.weight_rel > 0:
                e_s = instance_embeddings(s, regions)
                e_t = instance_embeddings(t, regions)
                rel = (e_s @ e_s.t() - e_t @ e_t.t()).pow(2).mean()
                loss = loss + self.weight_rel * rel
            return loss
