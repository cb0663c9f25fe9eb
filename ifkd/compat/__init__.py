"""Fixes for the pinned OpenMMLab stack on current PyTorch.

Each fix is applied once, at ``import ifkd`` (and so by
``custom_imports=dict(imports=['ifkd'])``), without touching site-packages:

* :mod:`.safe_load` - torch >= 2.6 loads checkpoints with ``weights_only=True``
  and mmengine 0.10.7 cannot read its own checkpoints; an explicit allow-list
  of the known-safe types it stores is registered.
* :mod:`.mmrazor_quant` - ``import mmrazor.models`` fails on torch 2.x in its
  quantization code; the distillation parts are made importable and
  quantization reports itself unsupported.
* :mod:`.config_format` - mmengine re-runs yapf (~4 s for a distillation
  config) every time a config is printed or dumped; yapf's output is
  memoised on its input.
"""
from .config_format import patch_config_format_memo
from .mmrazor_quant import patch_mmrazor_quantization
from .safe_load import SAFE_GLOBALS, register_safe_globals

register_safe_globals()
patch_mmrazor_quantization()
patch_config_format_memo()

__all__ = [
    'SAFE_GLOBALS', 'register_safe_globals', 'patch_mmrazor_quantization',
    'patch_config_format_memo'
]
