"""Fixes for the pinned OpenMMLab stack on current PyTorch.

Each fix is applied once, at ``import ifkd`` (and so by
``custom_imports=dict(imports=['ifkd'])``), without touching site-packages:

* :mod:`.mmcv_ext` - mmcv-lite has no compiled ``mmcv._ext``; a stand-in
  backed by torchvision (nms, roi_align) and torch (sigmoid focal loss) is
  installed, the other kernels raise with the fix. Nothing changes where the
  compiled ops are present. Installed first, before anything imports
  ``mmcv.ops``.
* :mod:`.safe_load` - torch >= 2.6 loads checkpoints with ``weights_only=True``
  and mmengine 0.10.7 cannot read its own checkpoints; an explicit allow-list
  of the known-safe types it stores is registered.
* :mod:`.mmrazor_quant` - ``import mmrazor.models`` fails on torch 2.x in its
  quantization code; the distillation parts are made importable and
  quantization reports itself unsupported.
* :mod:`.config_format` - mmengine re-runs yapf (~4 s for a distillation
  config) every time a config is printed or dumped; yapf's output is
  memoised on its input.
* :mod:`.dist_cpu` - mmengine's ``pytorch``/``slurm`` launchers and DDP
  wrapper assume a GPU per process; without CUDA they skip
  ``set_device``, use gloo and build DDP without ``device_ids``.
* :mod:`.atomic_checkpoint` - mmengine writes checkpoints in place, so a
  kill while saving leaves a truncated newest file; local writes go to a
  temp file renamed over the target, and auto-resume skips a broken record.
"""
from .mmcv_ext import install_mmcv_ext  # isort: skip (before mmcv.ops)

install_mmcv_ext()

from .atomic_checkpoint import patch_atomic_checkpoint  # noqa: E402
from .config_format import patch_config_format_memo  # noqa: E402
from .dist_cpu import patch_dist_cpu  # noqa: E402
from .mmrazor_quant import patch_mmrazor_quantization  # noqa: E402
from .safe_load import SAFE_GLOBALS, register_safe_globals  # noqa: E402

register_safe_globals()
patch_mmrazor_quantization()
patch_config_format_memo()
patch_dist_cpu()
patch_atomic_checkpoint()

__all__ = [
    'install_mmcv_ext',
    'SAFE_GLOBALS', 'register_safe_globals', 'patch_mmrazor_quantization',
    'patch_config_format_memo'
]
