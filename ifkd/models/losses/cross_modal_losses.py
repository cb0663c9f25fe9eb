"""Embedding losses between two sensors' views of the same objects."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ifkd.registry import MODELS


def flatten_embedding(x: Tensor, name: str) -> Tensor:
    """(N, D) from an embedding (N, D) or a feature map (N, C, H, W),
    which is average-pooled."""
    if x.dim() == 4:
        x = x.mean(dim=(2, 3))
    if x.dim() != 2:
        raise ValueError(f'{name} must be (N, D) or (N, C, H, W), got shape '
                         f'{tuple(x.shape)}.')
    return x


def check_pair(preds_S: Tensor, preds_T: Tensor, loss: str) -> None:
    if preds_S.shape != preds_T.shape:
        raise ValueError(
            f'{loss}: student embedding {tuple(preds_S.shape)} and teacher '
            f'embedding {tuple(preds_T.shape)} differ; project the student '
            "with a connector (e.g. dict(type='mmrazor.TorchNNConnector', "
            "module_name='Linear', module_args=dict(in_features=..., "
            'out_features=...))).')


@MODELS.register_module()
class SymmetricInfoNCELoss(nn.Module):
    """Symmetric InfoNCE between paired embeddings, as in CLIP (`Learning
    Transferable Visual Models From Natural Language Supervision
    <https://arxiv.org/abs/2103.00020>`_): with L2-normalised ``s_i`` and
    ``t_j`` and ``z_ij = s_i . t_j / temperature``,
    ``L = (CE(z, i) + CE(z^T, i)) / 2``, pair ``i`` the positive of row and
    column ``i``, the rest of the batch the negatives.

    Args:
        temperature (float): Softmax temperature. Defaults to 0.07.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, temperature: float = 0.07,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'SymmetricInfoNCELoss: temperature must be > 0, '
                             f'got {temperature}.')
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Args: student and teacher embeddings (N, D) or maps (N, C, H, W),
        row ``i`` of both from the same object."""
        s = F.normalize(flatten_embedding(preds_S, 'preds_S').float(), dim=1)
        t = F.normalize(flatten_embedding(preds_T, 'preds_T').float(), dim=1)
        check_pair(s, t, type(self).__name__)
        logits = s @ t.t() / self.temperature
        target = torch.arange(len(s), device=s.device)
        loss = (F.cross_entropy(logits, target) +
                F.cross_entropy(logits.t(), target)) / 2
        return self.loss_weight * loss


@MODELS.register_module()
class SortedFeatureMSELoss(nn.Module):
    """Mean squared error between the *sorted* values of paired embeddings,
    ``mean((sort(s) - sort(t))^2)``: it matches the distribution of each
    vector's activations and ignores which channel carries which value.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Args: student and teacher embeddings (N, D) or maps
        (N, C, H, W)."""
        s = flatten_embedding(preds_S, 'preds_S').float()
        t = flatten_embedding(preds_T, 'preds_T').float()
        check_pair(s, t, type(self).__name__)
        loss = F.mse_loss(s.sort(dim=1).values, t.sort(dim=1).values)
        return self.loss_weight * loss
