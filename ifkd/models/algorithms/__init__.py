from .classification_distill import ClassificationDistill
from .detection_distill import DetectionDistill

__all__ = ['ClassificationDistill', 'DetectionDistill']
