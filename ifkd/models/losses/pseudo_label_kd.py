"""Distillation from a teacher's pseudo-labels, filtered by confidence."""
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from torch import Tensor, nn

from ifkd.registry import MODELS


@MODELS.register_module()
class PseudoLabelKDLoss(nn.Module):
    """Soft KD plus hard pseudo-label cross-entropy on the samples whose
    teacher confidence reaches ``threshold``.

    Per sample: ``soft = tau^2 * KL(softmax(t / tau) || softmax(s / tau))``
    (Hinton et al., 2015; Knowledge Distillation Zoo,
    https://github.com/AberHu/Knowledge-Distillation-Zoo) and
    ``hard = CE(s, argmax t)``, the pseudo-label of KDHN (Cross-sensor scene
    understanding between heterogeneous networks, IEEE TGRS 2021,
    https://ieeexplore.ieee.org/document/9570728). A sample is kept when
    ``max softmax(t) >= threshold``; the loss is the mean over kept samples
    (0 when none is), and the kept fraction is logged as
    ``train/<log_name>_kept``. ``threshold=0`` keeps every sample.

    Args:
        tau (float): Temperature of the soft term.
        threshold (float): Teacher confidence a sample needs, in [0, 1).
        soft_weight (float): Weight of the soft term.
        hard_weight (float): Weight of the hard term.
        loss_weight (float): Weight of the whole loss.
        log_name (str): Name of the logged kept fraction.
    """

    def __init__(self,
                 tau: float = 4.0,
                 threshold: float = 0.0,
                 soft_weight: float = 1.0,
                 hard_weight: float = 1.0,
                 loss_weight: float = 1.0,
                 log_name: str = 'pseudo_label') -> None:
        super().__init__()
        if not 0 <= threshold < 1:
            raise ValueError(f'threshold must lie in [0, 1), got {threshold}'
                             ' (a softmax confidence).')
        self.tau = tau
        self.threshold = threshold
        self.soft_weight = soft_weight
        self.hard_weight = hard_weight
        self.loss_weight = loss_weight
        self.log_name = log_name

    def keep_mask(self, preds_T: Tensor) -> Tensor:
        """Samples whose teacher confidence reaches the threshold."""
        return preds_T.detach().softmax(1).max(1).values >= self.threshold

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        preds_T = preds_T.detach()
        keep = self.keep_mask(preds_T)
        MessageHub.get_current_instance().update_scalar(
            f'train/{self.log_name}_kept', float(keep.float().mean()))
        if not keep.any():
            return preds_S.sum() * 0.
        s, t = preds_S[keep], preds_T[keep]
        soft = F.kl_div(F.log_softmax(s / self.tau, 1),
                        F.softmax(t / self.tau, 1),
                        reduction='none').sum(1) * self.tau**2
        hard = F.cross_entropy(s, t.argmax(1), reduction='none')
        per_sample = self.soft_weight * soft + self.hard_weight * hard
        return self.loss_weight * per_sample.mean()
