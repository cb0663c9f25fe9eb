from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import constant_init, kaiming_init
from torch import Tensor

from ifkd.registry import MODELS


def fgd_attention(feat: Tensor, temp: float) -> Tuple[Tensor, Tensor]:
    """Spatial (B, 1, H, W) and channel (B, C, 1, 1) attention of FGD Eq. 4-5:
    ``H W softmax(mean_c |F| / T)`` and ``C softmax(mean_hw |F| / T)``."""
    b, c, h, w = feat.shape
    value = feat.abs()
    spatial = value.mean(dim=1).view(b, -1)
    spatial = h * w * F.softmax(spatial / temp, dim=1)
    channel = c * F.softmax(value.mean(dim=(2, 3)) / temp, dim=1)
    return spatial.view(b, 1, h, w), channel.view(b, c, 1, 1)


class GcBlock(nn.Module):
    """Global context block (Cao et al., GCNet) used by FGD's global loss:
    ``R(F) = F + W_v2 ReLU(LN(W_v1 sum_j softmax(W_k F)_j F_j))``. The last
    conv starts at zero, so at first ``R(F) = F``."""

    def __init__(self, channels: int, ratio: float = 0.5) -> None:
        super().__init__()
        hidden = int(channels * ratio)
        self.conv_mask = nn.Conv2d(channels, 1, kernel_size=1)
        self.channel_add = nn.Sequential(
            nn.Conv2d(channels, hidden, kernel_size=1),
            nn.LayerNorm([hidden, 1, 1]), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, kernel_size=1))
        kaiming_init(self.conv_mask, mode='fan_in')
        constant_init(self.channel_add[-1], 0)

    def forward(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        weights = F.softmax(self.conv_mask(x).view(b, 1, h * w), dim=2)
        context = torch.bmm(x.view(b, c, h * w), weights.transpose(1, 2))
        return x + self.channel_add(context.view(b, c, 1, 1))


@MODELS.register_module()
class FGDLoss(nn.Module):
    """Focal and global distillation loss of `Focal and Global Knowledge
    Distillation for Detectors <https://arxiv.org/abs/2111.11837>`_ (FGD,
    CVPR 2022, Eq. 6-10), one FPN level, sums divided by the batch size B:

    * focal: ``alpha sum M_fg S A^S A^C (F_t - F_s)^2 + beta sum M_bg ...``
      with the teacher's attention A^S, A^C (temperature ``temp``) and the
      scale masks of ``ifkd.FGDMaskConnector``;
    * attention: ``gamma (|A^S_t - A^S_s|_1 + |A^C_t - A^C_s|_1)``;
    * global: ``lambda sum (GC_t(F_t) - GC_s(F_s))^2`` with one trainable
      GcBlock per side.

    The paper's settings: RetinaNet alpha 1e-3, beta 5e-4, gamma 5e-4,
    lambda 5e-6; Faster R-CNN alpha 5e-5, beta 2.5e-5, gamma 5e-5,
    lambda 5e-7; temperature 0.5 for both.

    Args:
        in_channels (int): Channels of the (same-width) features.
        temp (float): Attention temperature T. Defaults to 0.5.
        alpha (float): Foreground weight. Defaults to 1e-3.
        beta (float): Background weight. Defaults to 5e-4.
        gamma (float): Attention loss weight. Defaults to 5e-4.
        lambda_ (float): Global (relation) loss weight. Defaults to 5e-6.
    """

    def __init__(self,
                 in_channels: int = 256,
                 temp: float = 0.5,
                 alpha: float = 1e-3,
                 beta: float = 5e-4,
                 gamma: float = 5e-4,
                 lambda_: float = 5e-6) -> None:
        super().__init__()
        self.temp = temp
        self.alpha, self.beta = alpha, beta
        self.gamma, self.lambda_ = gamma, lambda_
        self.gc_s = GcBlock(in_channels)
        self.gc_t = GcBlock(in_channels)

    def forward(self, preds_S: Tensor, preds_T: Tensor,
                masks: Tuple[Tensor, Tensor]) -> Tensor:
        """Forward computation.

        Args:
            preds_S (Tensor): Student feature (B, C, H, W).
            preds_T (Tensor): Teacher feature (B, C, H, W).
            masks (tuple[Tensor]): ``(fg, bg)`` scale masks (B, 1, H, W).

        Returns:
            Tensor: The fp32 scalar loss.
        """
        assert preds_S.shape == preds_T.shape, \
            f'shape mismatch: {preds_S.shape} vs {preds_T.shape}'
        fg, bg = (m.detach().float() for m in masks)
        with torch.autocast(preds_S.device.type, enabled=False):
            s, t = preds_S.float(), preds_T.detach().float()
            b = s.shape[0]
            s_att_s, c_att_s = fgd_attention(s, self.temp)
            s_att_t, c_att_t = fgd_attention(t, self.temp)
            err = (s - t).pow(2) * s_att_t * c_att_t
            fg_loss = (err * fg).sum() / b
            bg_loss = (err * bg).sum() / b
            att_loss = ((c_att_s - c_att_t).abs().sum() +
                        (s_att_s - s_att_t).abs().sum()) / b
            rela_loss = (self.gc_s(s) - self.gc_t(t)).pow(2).sum() / b
            return (self.alpha * fg_loss + self.beta * bg_loss +
                    self.gamma * att_loss + self.lambda_ * rela_loss)
