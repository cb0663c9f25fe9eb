"""Out-of-distribution scores from a classifier's logits.

Both are *in-distribution* scores: higher means more likely one of the
training classes, so that an AUROC with in-distribution as the positive
class ranks them directly.
"""
import torch
from torch import Tensor


def energy(logits: Tensor, temperature: float = 1.0) -> Tensor:
    """Free energy ``E(x) = -T * logsumexp(f(x) / T)`` of `Energy-based
    Out-of-distribution Detection <https://arxiv.org/abs/2010.03759>`_
    (Liu et al., NeurIPS 2020); low for in-distribution inputs.

    Args:
        logits (Tensor): (..., C) logits.
        temperature (float): T > 0. Defaults to 1.
    """
    if temperature <= 0:
        raise ValueError(f'energy: temperature must be > 0, got '
                         f'{temperature}.')
    return -temperature * torch.logsumexp(logits.float() / temperature, -1)


def ood_scores(view_logits: Tensor,
               temperature: float = 1.0) -> dict:
    """In-distribution scores of test-time views.

    Args:
        view_logits (Tensor): (N, V, C) logits of V views of each chip.
        temperature (float): Energy temperature.

    Returns:
        dict: ``energy``: minus the energy averaged over the views;
        ``max_softmax``: the largest class of the view-averaged softmax
        (the baseline of Hendrycks & Gimpel, https://arxiv.org/abs/1610.02136).
    """
    if view_logits.dim() != 3:
        raise ValueError(f'view_logits must be (N, V, C), got shape '
                         f'{tuple(view_logits.shape)}.')
    probs = view_logits.float().softmax(-1).mean(1)
    return dict(
        energy=-energy(view_logits, temperature).mean(1),
        max_softmax=probs.max(-1).values)
