from .detection_distill import DetectionDistill

__all__ = ['DetectionDistill']
