from .voc_coco_metric import VOCCocoMetric

__all__ = ['VOCCocoMetric']
from .classification_metric import ClassificationMetric  # noqa: E402

__all__ += ['ClassificationMetric']
from .building_metric import BuildingMetric  # noqa: E402

__all__ += ['BuildingMetric']
from .ood_metric import OODClassificationMetric  # noqa: E402,F401
from .cloud_cover_metric import CloudCoverAccuracy  # noqa: E402,F401
