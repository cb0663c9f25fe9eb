from .late_fusion_head import LateFusionHead
from .modality_regulation import SampleModalityRegulation
from .ogm_ge import OGMGE

__all__ = ['LateFusionHead', 'SampleModalityRegulation', 'OGMGE']
