from .classification_distill import ClassificationDistill
from .cross_modal_distill import CrossModalDistill
from .detection_distill import DetectionDistill

__all__ = ['ClassificationDistill', 'CrossModalDistill', 'DetectionDistill']
