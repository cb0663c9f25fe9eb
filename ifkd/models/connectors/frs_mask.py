from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from torch import Tensor

from ifkd.registry import MODELS
from ..utils.frs import frs_mask


@MODELS.register_module()
class FRSMaskConnector(BaseConnector):
    """The feature-richness mask M_FRS of `Distilling Object Detectors with
    Feature Richness <https://arxiv.org/abs/2111.00674>`_ (NeurIPS 2021).

    Turns a level's teacher classification logits (RetinaNet ``retina_cls``
    or the RPN's ``rpn_cls``) into the per-location maximum class
    probability, shape (B, 1, H, W), detached. IFKD's FDR multiplies the
    low-frequency part of the teacher feature by it.
    """

    def forward_train(self, feature: Tensor) -> Tensor:
        return frs_mask(feature)
