from .ifkd_losses import IFKDFeatLoss, IFKDHeadLoss

__all__ = ['IFKDFeatLoss', 'IFKDHeadLoss']
from .arsd_loss import ARSDLoss  # noqa: E402
from .fgd_loss import FGDLoss  # noqa: E402
from .insdist_loss import InsDistLoss  # noqa: E402

__all__ += ['ARSDLoss', 'FGDLoss', 'InsDistLoss']
from .focal_softmax import SoftmaxFocalLoss  # noqa: E402

__all__ += ['SoftmaxFocalLoss']
from .dice_loss import MulticlassDiceLoss  # noqa: E402
from .pixel_kd import PixelKDLoss  # noqa: E402
from .pseudo_label_loss import PseudoLabelSegLoss  # noqa: E402

__all__ += ['MulticlassDiceLoss', 'PixelKDLoss', 'PseudoLabelSegLoss']
from .cross_modal_losses import SortedFeatureMSELoss, SymmetricInfoNCELoss  # noqa: E402,F401
from .pseudo_label_kd import PseudoLabelKDLoss  # noqa: E402,F401
