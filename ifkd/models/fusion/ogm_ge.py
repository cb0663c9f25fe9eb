"""OGM-GE: on-the-fly gradient modulation with generalisation enhancement
(Peng et al., CVPR 2022, https://arxiv.org/abs/2203.15332, code
https://github.com/GeWu-Lab/OGM-GE_CVPR2022)."""
from typing import Dict, Mapping

import torch
from torch import Tensor, nn

from ifkd.registry import MODELS
from .modality_regulation import (branch_confidence, dominance_ratio,
                                  log_contributions)


@MODELS.register_module()
class OGMGE:
    """Batch-level gradient modulation of the dominant modality's encoder.

    With ``s_m`` the batch sum of ``softmax(z_m)[y]`` and
    ``rho_m = s_m / mean of the others``, the encoder of a modality with
    ``rho_m > 1`` gets ``k_m = 1 - tanh(alpha * rho_m)``, the others 1
    (the paper's Eq. 10; the official code). Each 4-D (convolution) weight
    gradient of encoder ``m`` becomes ``k_m * g + N(0, std(g)^2)``: the
    Gaussian term is GE, on by default; ``noise=False`` is plain OGM.
    As in the official code only convolution weights are modulated.

    Args:
        alpha (float): Modulation strength.
        noise (bool): Add the GE noise. Defaults to True.
    """

    def __init__(self, alpha: float = 0.5, noise: bool = True) -> None:
        if alpha < 0:
            raise ValueError(f'alpha must be >= 0, got {alpha}')
        self.alpha = alpha
        self.noise = noise

    def coefficients(self, conf: Mapping[str, Tensor]) -> Dict[str, Tensor]:
        """``k_m`` per modality (0-d tensors)."""
        batch = {name: s.sum(0, keepdim=True) for name, s in conf.items()}
        return {
            name: torch.where(rho > 1, 1 - torch.tanh(self.alpha * rho),
                              torch.ones_like(rho))[0]
            for name, rho in dominance_ratio(batch).items()
        }

    def modulate(self, grad: Tensor, k: Tensor) -> Tensor:
        """``k * g (+ N(0, std(g)^2))`` for one parameter's gradient."""
        out = grad * k
        if self.noise:
            std = grad.std().item() if grad.numel() > 1 else 0.
            out = out + torch.randn_like(grad) * (std + 1e-8)
        return out

    def apply(self, branch_logits: Mapping[str, Tensor], target: Tensor,
              feats: Mapping[str, Tensor],
              encoders: Mapping[str, nn.Module]) -> Dict[str, Tensor]:
        """Hook this step's gradient of each encoder's conv weights."""
        conf = branch_confidence(branch_logits, target)
        coeffs = self.coefficients(conf)
        for name, k in coeffs.items():
            if not feats[name].requires_grad:
                continue
            for param in encoders[name].parameters():
                if param.requires_grad and param.dim() == 4:
                    _once(param, lambda g, k=k: self.modulate(g, k))
        log_contributions(conf, coeffs)
        return coeffs


def _once(param: Tensor, fn) -> None:
    """Run ``fn`` on ``param``'s gradient in the next backward only."""
    handle = None

    def hook(grad):
        handle.remove()
        return fn(grad)

    handle = param.register_hook(hook)
