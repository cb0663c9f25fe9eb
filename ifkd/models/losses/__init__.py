from .ifkd_losses import IFKDFeatLoss, IFKDHeadLoss

__all__ = ['IFKDFeatLoss', 'IFKDHeadLoss']
from .arsd_loss import ARSDLoss  # noqa: E402
from .fgd_loss import FGDLoss  # noqa: E402
from .insdist_loss import InsDistLoss  # noqa: E402

__all__ += ['ARSDLoss', 'FGDLoss', 'InsDistLoss']
from .focal_softmax import SoftmaxFocalLoss  # noqa: E402

__all__ += ['SoftmaxFocalLoss']
