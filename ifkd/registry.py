"""ifkd's registries.

Each is a direct child of MMEngine's root registry, so an ``ifkd.X`` type
resolves from any scope (mmdet's, mmrazor's or none) and configs keep
``default_scope='mmdet'`` for mmdet types. mmrazor types are written
``mmrazor.X`` in configs.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import Registry

MODELS = Registry(
    'model', parent=MMENGINE_MODELS, scope='ifkd',
    locations=['ifkd.models'])
DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, scope='ifkd',
    locations=['ifkd.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, scope='ifkd',
    locations=['ifkd.datasets'])
METRICS = Registry(
    'metric', parent=MMENGINE_METRICS, scope='ifkd',
    locations=['ifkd.evaluation'])
HOOKS = Registry(
    'hook', parent=MMENGINE_HOOKS, scope='ifkd', locations=['ifkd.engine'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS, scope='ifkd',
    locations=['ifkd.datasets'])
