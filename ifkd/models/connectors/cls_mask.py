from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from torch import Tensor

from ifkd.registry import MODELS


def location_scores(feature: Tensor, fc_weight: Tensor,
                    fc_bias: Optional[Tensor] = None) -> Tensor:
    """Class scores at every location, (B, K, H, W): the linear head
    ``fc`` applied to each feature vector (a 1x1 convolution). With a
    global-average-pooling neck their spatial mean is the classifier's
    logits."""
    c = feature.shape[1]
    if fc_weight.dim() != 2 or fc_weight.shape[1] != c:
        raise ValueError(
            f'fc_weight {tuple(fc_weight.shape)} does not match the '
            f'{c}-channel feature: record the weight of the linear layer '
            "that reads this feature map (e.g. 'head.fc.weight' after a "
            'GlobalAveragePooling neck).')
    return F.conv2d(feature, fc_weight[:, :, None, None], fc_bias)


def minmax_per_image(x: Tensor, eps: float = 1e-6) -> Tensor:
    """Scale each (1, H, W) map to [0, 1]; a flat map (no spatial
    information) becomes all ones, the neutral mask."""
    flat = x.flatten(1)
    low = flat.amin(dim=1)[:, None, None, None]
    span = (flat.amax(dim=1) - flat.amin(dim=1))[:, None, None, None]
    out = (x - low) / span.clamp_min(eps)
    return torch.where(span > eps, out, torch.ones_like(out))


@MODELS.register_module()
class ClassActivationMaskConnector(BaseConnector):
    """A classifier's stand-in for the feature-richness mask M_FRS that
    IFKD's FDR reads from a detector's classification head.

    The teacher's linear head ``(fc_weight, fc_bias)`` scores every location
    of its last feature map (B, C, H, W), giving (B, K, H, W) class scores:

    * ``mode='max_prob'``: the largest softmax probability per location,
      the direct analogue of M_FRS (`Distilling Object Detectors with
      Feature Richness <https://arxiv.org/abs/2111.00674>`_), in [1/K, 1];
    * ``mode='cam'``: the class activation map (`Learning Deep Features for
      Discriminative Localization <https://arxiv.org/abs/1512.04150>`_) of
      the class the teacher predicts for the image, min-max normalised per
      image to [0, 1] (a flat map gives ones).

    The output (B, 1, H, W) is detached: it weights the teacher's target and
    is not trained. With mmrazor's recorders, in ``IFKDDistiller``::

        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone'),
            fc_w=dict(type='Parameter', source='head.fc.weight'),
            fc_b=dict(type='Parameter', source='head.fc.bias')),
        connectors=dict(
            t_mask=dict(type='ifkd.ClassActivationMaskConnector',
                        mode='max_prob')),
        # a spec for FDR's side input
        frs_mask=dict(recorder='feat', from_student=False, data_idx=0,
                      connector='t_mask', connector_kwargs=dict(
                          fc_weight=dict(recorder='fc_w',
                                         from_student=False),
                          fc_bias=dict(recorder='fc_b',
                                       from_student=False)))

    Args:
        mode (str): 'cam' or 'max_prob'. Defaults to 'max_prob'.
        init_cfg (dict, optional): The config to control the initialization.
    """

    modes = ('cam', 'max_prob')

    def __init__(self, mode: str = 'max_prob',
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        if mode not in self.modes:
            raise ValueError(f'ClassActivationMaskConnector: mode must be '
                             f'one of {self.modes}, got {mode!r}.')
        self.mode = mode

    def forward(self,
                feature: Tensor,
                fc_weight: Optional[Tensor] = None,
                fc_bias: Optional[Tensor] = None) -> Tensor:
        """See :meth:`forward_train`."""
        return self.forward_train(feature, fc_weight, fc_bias)

    @torch.no_grad()
    def forward_train(self,
                      feature: Tensor,
                      fc_weight: Optional[Tensor] = None,
                      fc_bias: Optional[Tensor] = None) -> Tensor:
        """Compute the mask.

        Args:
            feature (Tensor): Teacher feature map (B, C, H, W) read by the
                head after global average pooling.
            fc_weight (Tensor): The head's linear weight (K, C).
            fc_bias (Tensor, optional): Its bias (K,).

        Returns:
            Tensor: fp32 mask (B, 1, H, W) in [0, 1], detached.
        """
        if fc_weight is None:
            raise ValueError(
                'ClassActivationMaskConnector needs fc_weight: pass the '
                "teacher head's weight through connector_kwargs (a "
                "'Parameter' recorder on e.g. 'head.fc.weight').")
        if feature.dim() != 4:
            raise ValueError(
                f'ClassActivationMaskConnector expects a (B, C, H, W) '
                f'feature, got {tuple(feature.shape)}; pick the map with '
                'data_idx.')
        bias = None if fc_bias is None else fc_bias.float()
        scores = location_scores(feature.float(), fc_weight.float(), bias)
        if self.mode == 'max_prob':
            return scores.softmax(dim=1).amax(dim=1, keepdim=True)
        # The image's logits are the spatial mean of the location scores.
        pred = scores.mean(dim=(2, 3)).argmax(dim=1)
        cam = scores.gather(1, pred[:, None, None, None].expand(
            -1, 1, *scores.shape[2:]))
        return minmax_per_image(cam)
