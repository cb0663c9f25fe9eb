"""ifkd's registries.

Each is a child of MMDetection's, so an ``ifkd.X`` type resolves from any
scope and a config with ``default_scope='mmdet'`` keeps finding mmdet types.
mmrazor types are written ``mmrazor.X`` in configs.
"""
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmengine.registry import Registry

MODELS = Registry(
    'model', parent=MMDET_MODELS, scope='ifkd', locations=['ifkd.models'])
DATASETS = Registry(
    'dataset', parent=MMDET_DATASETS, scope='ifkd',
    locations=['ifkd.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMDET_TRANSFORMS, scope='ifkd',
    locations=['ifkd.datasets'])
METRICS = Registry(
    'metric', parent=MMDET_METRICS, scope='ifkd',
    locations=['ifkd.evaluation'])
HOOKS = Registry(
    'hook', parent=MMDET_HOOKS, scope='ifkd', locations=['ifkd.engine'])
