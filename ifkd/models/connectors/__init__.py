from .ede import EDEConnector
from .fdr import FDRConnector
from .frs_mask import FRSMaskConnector
from .hsm import HSMConnector

__all__ = [
    'EDEConnector', 'FDRConnector', 'FRSMaskConnector', 'HSMConnector'
]
from .gt_masks import (ARSDMaskConnector, FGDMaskConnector,  # noqa: E402
                       InsDistMaskConnector)

__all__ += ['ARSDMaskConnector', 'FGDMaskConnector', 'InsDistMaskConnector']
from .ssrd_selector import SSRDSelectorConnector  # noqa: E402

__all__ += ['SSRDSelectorConnector']
from .cls_mask import ClassActivationMaskConnector  # noqa: E402

__all__ += ['ClassActivationMaskConnector']
from .pooled_conv import PooledConvConnector  # noqa: E402

__all__ += ['PooledConvConnector']
