from .voc_coco_metric import VOCCocoMetric

__all__ = ['VOCCocoMetric']
from .classification_metric import ClassificationMetric  # noqa: E402

__all__ += ['ClassificationMetric']
