"""Per-sample modality regulation of a late-fusion classifier.

Each sample's dominant modality has its encoder gradient scaled down, by
how much more confident it is than the other modalities on the sample's
(pseudo) class. For modality ``m`` of sample ``i`` with branch confidence
``s_im = softmax(z_im)[y_i]`` (``z_im`` the modality's logits, ``y_i`` the
teachers' pseudo class or the label)::

    rho_im = s_im / mean_{m' != m} s_im'
    k_im   = 1 - tanh(alpha * (rho_im - 1))   if rho_im > 1 else 1

and the gradient reaching modality ``m``'s encoder from sample ``i`` is
multiplied by ``k_im`` (a hook on the branch's pooled features).

Why: this is OGM-GE's coefficient (Peng et al., CVPR 2022,
https://arxiv.org/abs/2203.15332) moved from the batch to the sample. A
cloudy-scene batch mixes clear tiles (optical dominates) and clouded ones
(SAR dominates); a batch-level ratio averages the two and slows the wrong
encoder on half of them, while the per-sample ratio slows each modality
exactly where it dominates. ``rho - 1`` (OGM-GE uses ``rho``) keeps
``k = 1`` at balance, so the coefficient is continuous.
"""
from typing import Dict, Mapping

import torch
from mmengine.logging import MessageHub
from torch import Tensor

from ifkd.registry import MODELS


def branch_confidence(branch_logits: Mapping[str, Tensor],
                      target: Tensor) -> Dict[str, Tensor]:
    """Detached ``softmax(z_m)[y]`` per modality, each (B,)."""
    return {
        name: logits.detach().softmax(1).gather(1, target.view(-1, 1))[:, 0]
        for name, logits in branch_logits.items()
    }


def dominance_ratio(conf: Mapping[str, Tensor]) -> Dict[str, Tensor]:
    """``s_m / mean of the other modalities' s`` (elementwise)."""
    if len(conf) < 2:
        raise ValueError('modality regulation needs at least two modalities')
    total = sum(conf.values())
    return {
        name: s / ((total - s) / (len(conf) - 1)).clamp_min(1e-12)
        for name, s in conf.items()
    }


def log_contributions(conf: Mapping[str, Tensor],
                      coeffs: Mapping[str, Tensor]) -> None:
    """Log each modality's mean share of the confidence on the target
    class (``train/contrib_<m>``) and its mean coefficient
    (``train/coeff_<m>``)."""
    total = sum(conf.values()).clamp_min(1e-12)
    hub = MessageHub.get_current_instance()
    for name, s in conf.items():
        hub.update_scalar(f'train/contrib_{name}',
                          float((s / total).mean()))
        hub.update_scalar(f'train/coeff_{name}',
                          float(torch.as_tensor(coeffs[name]).mean()))


@MODELS.register_module()
class SampleModalityRegulation:
    """Per-sample gradient regulation (see the module docstring).

    Args:
        alpha (float): Strength; 0 disables the scaling (but still logs).
    """

    def __init__(self, alpha: float = 0.5) -> None:
        if alpha < 0:
            raise ValueError(f'alpha must be >= 0, got {alpha}')
        self.alpha = alpha

    def coefficients(self, conf: Mapping[str, Tensor]) -> Dict[str, Tensor]:
        """``k_im`` per modality, each (B,)."""
        return {
            name: torch.where(rho > 1, 1 - torch.tanh(self.alpha * (rho - 1)),
                              torch.ones_like(rho))
            for name, rho in dominance_ratio(conf).items()
        }

    def apply(self, branch_logits: Mapping[str, Tensor], target: Tensor,
              feats: Mapping[str, Tensor], encoders) -> Dict[str, Tensor]:
        """Hook each branch's features; returns the coefficients."""
        conf = branch_confidence(branch_logits, target)
        coeffs = self.coefficients(conf)
        for name, k in coeffs.items():
            if feats[name].requires_grad:
                feats[name].register_hook(
                    lambda g, k=k: g * k.view(-1, *[1] * (g.dim() - 1)))
        log_contributions(conf, coeffs)
        return coeffs
