from .ede import EDEConnector
from .fdr import FDRConnector
from .hsm import HSMConnector

__all__ = ['EDEConnector', 'FDRConnector', 'HSMConnector']
