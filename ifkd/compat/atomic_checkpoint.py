"""Checkpoints that a killed run cannot leave half-written.

mmengine 0.10.7 writes a checkpoint straight to its final name
(``LocalBackend.put`` opens ``epoch_N.pth`` with ``'wb'``), then records it
in ``<work_dir>/last_checkpoint``, again by truncating and rewriting. A
process killed while saving therefore leaves a truncated ``epoch_N.pth``
that looks like the newest checkpoint, and, in a narrower window, an empty
``last_checkpoint`` from which ``--resume`` reads the path ``''``.

* Local ``put`` writes to a temporary file in the same folder, flushes it to
  disk and renames it over the target (``os.replace`` is atomic on POSIX):
  a file under a checkpoint's name is always complete. A kill leaves at most
  a ``.<name>.*.tmp`` file, which nothing reads.
* Auto-resume treats an empty ``last_checkpoint``, or one naming a missing
  file, as unset, and falls back to the newest ``*.pth`` of the work dir.
"""
import functools
import glob
import os
import os.path as osp
import tempfile
import warnings
from pathlib import Path
from typing import Callable, Optional, Union

_PATCHED = '_ifkd_atomic'


def atomic_write(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so that it is either the old file or
    the complete new one, also if the process dies mid-way."""
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(filepath)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def latest_checkpoint(find: Callable[[str], Optional[str]]
                      ) -> Callable[[str], Optional[str]]:
    """Wrap mmengine's ``find_latest_checkpoint(work_dir)`` so that a
    broken ``last_checkpoint`` record falls back to the newest ``*.pth``."""

    @functools.wraps(find)
    def wrapped(path: str) -> Optional[str]:
        found = find(path)
        if found is None or (found and osp.isfile(found)):
            return found
        ckpts = sorted(
            glob.glob(osp.join(path, '*.pth')), key=osp.getmtime)
        fallback = ckpts[-1] if ckpts else None
        warnings.warn(f'{osp.join(path, "last_checkpoint")} names '
                      f'{found!r}, which is not a file: resuming from the '
                      f'newest checkpoint in the folder, {fallback}.')
        return fallback

    setattr(wrapped, _PATCHED, True)
    return wrapped


def patch_atomic_checkpoint() -> None:
    """Make local checkpoint writes atomic and auto-resume robust (once)."""
    import mmengine.runner.runner as runner_module
    from mmengine.fileio.backends import LocalBackend
    if not getattr(LocalBackend.put, _PATCHED, False):

        def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
            atomic_write(obj, filepath)

        put.__doc__ = LocalBackend.put.__doc__
        put.__wrapped__ = LocalBackend.put  # type: ignore[attr-defined]
        setattr(put, _PATCHED, True)
        LocalBackend.put = put
    find = runner_module.find_latest_checkpoint
    if not getattr(find, _PATCHED, False):
        runner_module.find_latest_checkpoint = latest_checkpoint(find)
