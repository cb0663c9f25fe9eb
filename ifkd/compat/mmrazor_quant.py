"""Make ``import mmrazor.models`` work on torch 2.x.

mmrazor 1.0.0 builds its quantization backend configs at import time from
torch.ao internals that torch has since renamed or changed:

* ``fuser_method_mappings.reverse2/reverse3/reverse_sequential_wrapper2``
  became private (``_reverse2`` ...). The failed import turns every name of
  mmrazor's ``try`` block into a placeholder that raises at module level.
* ``BackendConfig.set_backend_pattern_config`` uses the
  ``torch.ao.quantization.backend_config.utils`` submodule without importing
  it.
* ``BackendPatternConfig._set_overwrite_output_fake_quantize`` is gone, so
  building the backend configs fails whatever is imported.

The first two are restored as aliases; mmrazor's backend-config table is
replaced by one that raises :class:`QuantizationUnsupportedError` on use, so
distillation imports and runs while quantization says clearly that it is not
supported.
"""
import sys
import types

import torch


class QuantizationUnsupportedError(RuntimeError):
    """mmrazor 1.0.0 quantization was requested on an unsupported torch."""


class _UnsupportedBackendConfigs(dict):

    def __getitem__(self, key):
        raise QuantizationUnsupportedError(
            f'mmrazor 1.0.0 quantization (backend {key!r}) does not work on '
            f'torch {torch.__version__}: its backend configs rely on torch.ao '
            'internals that no longer exist. ifkd supports mmrazor '
            'distillation only; use torch < 2.0 with mmrazor for '
            'quantization.')

    get = __getitem__


_MAPPING = 'mmrazor.structures.quantization.backend_config.mapping'
_ALIASES = dict(
    reverse2='_reverse2',
    reverse3='_reverse3',
    reverse_sequential_wrapper2='_sequential_wrapper2')


def patch_mmrazor_quantization() -> None:
    """Apply the fixes; a no-op when mmrazor was already imported."""
    if _MAPPING in sys.modules:
        return
    import torch.ao.quantization.backend_config.utils  # noqa: F401
    import torch.ao.quantization.fuser_method_mappings as fmm
    for public, private in _ALIASES.items():
        if not hasattr(fmm, public) and hasattr(fmm, private):
            setattr(fmm, public, getattr(fmm, private))
    stub = types.ModuleType(_MAPPING)
    stub.BackendConfigs = _UnsupportedBackendConfigs()
    sys.modules[_MAPPING] = stub
