import torch.nn.functional as F
from mmrazor.models.architectures.connectors import ConvModuleConnector
from torch import Tensor

from ifkd.registry import MODELS


@MODELS.register_module()
class PooledConvConnector(ConvModuleConnector):
    """mmrazor's ``ConvModuleConnector`` after a ``pool`` x ``pool`` average
    pooling: an adapter from a student map ``pool`` times finer than the
    teacher's, as FitNets' regressor (`FitNets: Hints for Thin Deep Nets
    <https://arxiv.org/abs/1412.6550>`_) with a resize in front.

    With a 1x1 convolution it equals a ``pool`` x ``pool`` convolution of
    stride ``pool`` whose weights are shared over the window (divided by
    ``pool**2``), at ``1 / pool**2`` of that convolution's multiply-adds and
    weights: for ShipCNN's 256-channel 28 x 28 map (224 px chips) and
    ResNet50's 2048 channels, 0.5 M weights instead of 8.4 M, and 1.3 % of
    ShipCNN's multiply-adds per image instead of 21 %.

    Args:
        pool (int): Pooling window and stride; 1 pools nothing.
        **kwargs: See ``ConvModuleConnector`` (``in_channel``,
            ``out_channel``, ``kernel_size``, ``norm_cfg``, ``act_cfg`` ...).
    """

    def __init__(self, pool: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(pool, int) or pool < 1:
            raise ValueError(
                f'PooledConvConnector: pool must be a positive integer (the '
                f"ratio of the student's map size to the teacher's), got "
                f'{pool!r}.')
        self.pool = pool

    def forward_train(self, feature: Tensor) -> Tensor:
        if self.pool > 1:
            feature = F.avg_pool2d(feature, self.pool)
        return super().forward_train(feature)
