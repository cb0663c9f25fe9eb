from .ede import EDEConnector
from .fdr import FDRConnector
from .frs_mask import FRSMaskConnector
from .hsm import HSMConnector

__all__ = [
    'EDEConnector', 'FDRConnector', 'FRSMaskConnector', 'HSMConnector'
]
