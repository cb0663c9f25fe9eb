from .classification_distill import ClassificationDistill
from .cross_modal_distill import CrossModalDistill
from .detection_distill import DetectionDistill

__all__ = ['ClassificationDistill', 'CrossModalDistill', 'DetectionDistill']
from .multi_teacher_cross_modal import MultiTeacherCrossModalDistill  # noqa: E402,F401
