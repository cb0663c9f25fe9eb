"""Let ``torch.load(weights_only=True)`` read mmengine checkpoints.

Since torch 2.6, ``torch.load`` refuses any pickled global that is not on an
allow-list. mmengine 0.10.7 stores a few in every checkpoint: its
``HistoryBuffer`` in ``message_hub``, the numpy arrays and scalars inside it,
and ``bytes`` (an empty array pickles its data as ``bytes()``), so resume and
``teacher_ckpt`` fail.

Allowing the real classes would also allow their ``__setstate__`` on any
state a file carries: a numpy dtype with an object field (the array's bytes
then become object pointers: a crash), a subarray larger than the data (an
out-of-bounds read), or a ``statistics_methods`` table that
``HistoryBuffer.__setstate__`` merges into its process-wide registry. So
each name a checkpoint uses is mapped to a restricted factory instead, which
accepts only what mmengine writes:

* dtypes: plain numeric ones (bool, int, uint, float, complex), no fields,
  subarrays or metadata; always a fresh copy, never the shared singleton;
* arrays and scalars: such a dtype over exactly as many bytes as it needs.
  Arrays load as :class:`SafeArray`, an ``ndarray`` subclass that pickles
  back as a plain ``ndarray``;
* ``HistoryBuffer``: its three fields, and a statistics table naming only
  the methods already registered; ``getattr`` only of those methods;
* ``bytes``: empty, or a copy of bytes.

Everything else stays refused with ``pickle.UnpicklingError``.
"""
import math
import pickle
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import torch

try:  # numpy >= 2 renamed numpy.core to numpy._core
    from numpy._core.multiarray import _reconstruct, scalar
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct, scalar

# numpy's own codes for the plain numeric dtypes (``np.dtype(code).str[1:]``)
PLAIN_DTYPE_CODES = frozenset({
    'b1', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'f2', 'f4', 'f8',
    'c8', 'c16'
})
_NUMPY_MODULES = ('numpy.core.multiarray', 'numpy._core.multiarray')
_HISTORY_BUFFER = 'mmengine.logging.history_buffer.HistoryBuffer'


def _refuse(what: str) -> pickle.UnpicklingError:
    return pickle.UnpicklingError(
        f'{what} is not allowed in a checkpoint: ifkd.compat.safe_load only '
        'rebuilds the plain numpy arrays/scalars and HistoryBuffers that '
        'mmengine writes. Load the file with weights_only=False only if you '
        'trust where it came from.')


class DTypeSpec:
    """A plain numeric numpy dtype, as pickled by ``np.dtype.__reduce__``.

    Stands in for ``numpy.dtype`` while loading; arrays and scalars turn it
    into the real dtype. Its state is checked before anything is built.

    Args:
        code (str): numpy's type code, e.g. ``'f8'``.
        align (bool): ``np.dtype``'s ``align`` flag (no effect here).
        copy (bool): ignored: a fresh dtype is always made, so a file can
            never change the process-wide singleton.
    """

    def __init__(self, code: str, align: bool = False, copy: bool = True):
        if not isinstance(code, str) or code not in PLAIN_DTYPE_CODES:
            raise _refuse(f'numpy dtype {code!r:.200}')
        if not isinstance(align, bool):
            raise _refuse(f'numpy dtype align={align!r:.200}')
        self._dtype = np.dtype(code)

    def __setstate__(self, state: Tuple) -> None:
        # (version, byteorder, subarray, names, fields, elsize, align, flags)
        plain = (isinstance(state, tuple) and len(state) == 8
                 and state[0] == 3 and state[2:] == (None, None, None, -1,
                                                     -1, 0))
        if not plain or state[1] not in ('<', '>', '|', '='):
            raise _refuse(f'numpy dtype state {state!r:.200}')
        if state[1] in '<>':
            self._dtype = self.dtype.newbyteorder(state[1])

    @property
    def dtype(self) -> np.dtype:
        dtype = self.__dict__.get('_dtype')
        if dtype is None:  # made by NEWOBJ, never initialised
            raise _refuse('an uninitialised numpy dtype')
        return dtype


def _plain_dtype(spec: Any) -> np.dtype:
    if type(spec) is not DTypeSpec:
        raise _refuse(f'numpy dtype {spec!r:.200}')
    return spec.dtype


def _raw_bytes(data: Any, nbytes: int, what: str) -> bytes:
    if type(data) is not bytes or len(data) != nbytes:
        raise _refuse(f'{what} data of {type(data).__name__} '
                      f'(expected {nbytes} bytes)')
    return data


class SafeArray(np.ndarray):
    """An ndarray rebuilt from a checkpoint; pickles as a plain ndarray.

    Only :func:`reconstruct_array` creates one (``__new__`` refuses, so a
    pickled ``NEWOBJ`` cannot); its ``__setstate__`` checks the state before
    numpy's runs.
    """

    def __new__(cls, *args, **kwargs):
        raise _refuse('numpy.ndarray.__new__')

    def __setstate__(self, state: Tuple) -> None:
        # (version, shape, dtype, is_fortran, raw data)
        if not (isinstance(state, tuple) and len(state) == 5
                and state[0] == 1 and isinstance(state[1], tuple)
                and all(type(n) is int and n >= 0 for n in state[1])
                and isinstance(state[3], bool)):
            raise _refuse(f'numpy array state {state!r:.200}')
        dtype = _plain_dtype(state[2])
        # Python ints: a crafted shape cannot overflow to match the data
        nbytes = math.prod(state[1]) * dtype.itemsize
        data = _raw_bytes(state[4], nbytes, 'numpy array')
        super().__setstate__((1, state[1], dtype, state[3], data))

    def __reduce__(self):
        return self.view(np.ndarray).__reduce__()


def reconstruct_array(subtype: Any, shape: Any, code: Any) -> SafeArray:
    """numpy's ``_reconstruct``, for exactly the empty array it pickles."""
    if subtype is not SafeArray or shape != (0, ) or code != b'b':
        raise _refuse(f'numpy _reconstruct{(subtype, shape, code)!r:.200}')
    return _reconstruct(SafeArray, (0, ), b'b')


def numpy_scalar(spec: Any, data: Any = None) -> np.generic:
    """numpy's ``scalar``, for plain numeric dtypes only."""
    dtype = _plain_dtype(spec)
    return scalar(dtype, _raw_bytes(data, dtype.itemsize, 'numpy scalar'))


def safe_bytes(*args: Any) -> bytes:
    """``bytes()``: protocol 2 pickles an empty ``bytes`` (the data of an
    empty array) as this call. Only empty or bytes-copy calls are allowed,
    so a file cannot make it allocate."""
    if args == ():
        return b''
    if len(args) == 1 and type(args[0]) is bytes:
        return bytes(args[0])
    raise _refuse(f'bytes{args!r:.200}')


def _statistics_methods() -> Dict[str, Callable]:
    from mmengine.logging import HistoryBuffer

    # registers mmengine's defaults (min, max, current, mean) if not yet
    HistoryBuffer._set_default_statistics(HistoryBuffer.__new__(HistoryBuffer))
    return dict(HistoryBuffer._statistics_methods)


def history_buffer_getattr(obj: object, name: str) -> Callable:
    """``getattr`` restricted to ``HistoryBuffer``'s statistics methods.

    A pickled ``HistoryBuffer`` carries its statistics table as
    ``getattr(HistoryBuffer, 'mean')`` calls; the builtin ``getattr`` itself
    is never allowed, and nor is any other attribute (``register_statistics``
    would change process-wide state, ``mro`` leaks the class).
    """
    from mmengine.logging import HistoryBuffer
    methods = _statistics_methods()
    if (obj not in (HistoryBuffer, SafeHistoryBuffer)
            or not isinstance(name, str) or name not in methods
            or getattr(HistoryBuffer, name, None) is not methods[name]):
        raise _refuse(f'getattr({obj!r}, {name!r})')
    return methods[name]


def _history_buffer_class():
    from mmengine.logging import HistoryBuffer
    return HistoryBuffer


class SafeHistoryBuffer(_history_buffer_class()):
    """Stands in for mmengine's ``HistoryBuffer`` while loading.

    The state is checked, and the object becomes a real ``HistoryBuffer``
    without running its ``__setstate__`` (which would merge the file's
    statistics table into the class-wide one).
    """

    FIELDS = ('max_length', '_log_history', '_count_history')

    def __init__(self, *args, **kwargs):
        raise _refuse('HistoryBuffer(...) called with arguments')

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict):
            raise _refuse(f'HistoryBuffer state {state!r:.200}')
        state = dict(state)
        methods = _statistics_methods()
        table = state.pop('statistics_methods', {})
        if not isinstance(table, dict) or any(
                methods.get(k) is not v for k, v in table.items()):
            raise _refuse(f'HistoryBuffer statistics table {table!r:.200}')
        if sorted(state) != sorted(self.FIELDS):
            raise _refuse(f'HistoryBuffer fields {sorted(state)}')
        if type(state['max_length']) is not int or not all(
                isinstance(state[k], np.ndarray) and state[k].ndim == 1
                for k in self.FIELDS[1:]):
            raise _refuse('HistoryBuffer field types '
                          f'{[type(state[k]).__name__ for k in self.FIELDS]}')
        self.__dict__.update(state)
        self.__class__ = _history_buffer_class()


def _named(obj: object, *names: str) -> List[Tuple[object, str]]:
    return [(obj, name) for name in names]


def _safe_globals() -> List[Tuple[object, str]]:
    return [
        *_named(DTypeSpec, 'numpy.dtype'),
        *_named(SafeArray, 'numpy.ndarray'),
        *_named(reconstruct_array, *(f'{m}._reconstruct'
                                     for m in _NUMPY_MODULES)),
        *_named(numpy_scalar, *(f'{m}.scalar' for m in _NUMPY_MODULES)),
        *_named(safe_bytes, 'builtins.bytes'),
        *_named(SafeHistoryBuffer, _HISTORY_BUFFER),
        *_named(history_buffer_getattr, 'builtins.getattr'),
    ]


SAFE_GLOBALS: List[Tuple[object, str]] = []


def register_safe_globals() -> List[Tuple[object, str]]:
    """Add the restricted factories to torch's safe-load allow-list."""
    if not SAFE_GLOBALS:
        SAFE_GLOBALS.extend(_safe_globals())
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(SAFE_GLOBALS)
    return SAFE_GLOBALS
