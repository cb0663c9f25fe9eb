"""Let ``torch.load(weights_only=True)`` read mmengine checkpoints.

Since torch 2.6, ``torch.load`` refuses any pickled global that is not on an
allow-list. mmengine 0.10.7 stores a few in every checkpoint (its
``HistoryBuffer`` in ``message_hub`` and the numpy arrays inside it), so resume
and ``teacher_ckpt`` fail. Registering exactly those types keeps safe loading
on: any other pickled object is still refused.
"""
import pickle
from typing import List

import numpy as np
import torch


def _numpy_globals() -> List[object]:
    try:  # numpy >= 2 renamed numpy.core to numpy._core
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(t)) for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
        np.uint16, np.uint32, np.uint64, np.float16, np.float32, np.float64)]
    return [_reconstruct, scalar, np.ndarray, np.dtype, *dtype_classes]


def history_buffer_getattr(obj: object, name: str) -> object:
    """``getattr`` restricted to ``HistoryBuffer``'s public methods.

    A pickled ``HistoryBuffer`` carries its statistics table as
    ``getattr(HistoryBuffer, 'mean')`` calls; the builtin ``getattr`` itself
    is never allowed.
    """
    from mmengine.logging import HistoryBuffer
    if obj is not HistoryBuffer or name.startswith('_'):
        raise pickle.UnpicklingError(
            f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint: only '
            'HistoryBuffer statistics methods are.')
    return getattr(HistoryBuffer, name)


def _mmengine_globals() -> List[object]:
    from mmengine.logging import HistoryBuffer
    return [
        HistoryBuffer, (history_buffer_getattr, 'builtins.getattr'),
        (history_buffer_getattr, '__builtin__.getattr')
    ]


SAFE_GLOBALS: List[object] = []


def register_safe_globals() -> List[object]:
    """Add mmengine's checkpoint types to torch's safe-load allow-list."""
    if not SAFE_GLOBALS:
        SAFE_GLOBALS.extend(_numpy_globals() + _mmengine_globals())
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(SAFE_GLOBALS)
    return SAFE_GLOBALS
