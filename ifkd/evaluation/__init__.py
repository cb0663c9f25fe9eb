from .voc_coco_metric import VOCCocoMetric

__all__ = ['VOCCocoMetric']
