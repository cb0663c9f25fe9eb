"""Distributed data-parallel training on machines without CUDA.

mmengine 0.10.7 assumes a GPU per process in two places:

* its ``pytorch`` and ``slurm`` launchers call
  ``torch.cuda.set_device(local_rank)`` unconditionally, which raises where
  torch has no CUDA device;
* ``Runner.wrap_model`` builds ``DistributedDataParallel`` with
  ``device_ids=[LOCAL_RANK]``, which torch refuses for a module on the CPU.

Where no CUDA device is present (none installed, or hidden with
``CUDA_VISIBLE_DEVICES=''``), and only there, the launchers skip
``set_device`` and use the ``gloo`` backend (NCCL needs GPUs, so the
``nccl`` default of mmdet's configs would fail next), and DDP is built
without ``device_ids``, as torch wants for CPU modules. Asking for
``backend='gloo'`` explicitly takes the same path on such a machine. With a
CUDA device everything runs as upstream, whatever the backend. On NPU,
MLU and MUSA machines mmengine's own branches run as before: they choose
their backend and device themselves, and their modules are not on the CPU.
"""
import contextlib
import functools
from typing import Any, Callable, Iterator

import torch
from torch.nn.parallel import DistributedDataParallel

_PATCHED = '_ifkd_dist_cpu'


def cpu_only() -> bool:
    """Whether no CUDA device is visible to this process.

    The launchers call ``torch.cuda.set_device`` only after mmengine has
    ruled out NPU, MLU and MUSA devices, so CUDA is the one left to check.
    """
    return not torch.cuda.is_available()


def cpu_backend(backend: str) -> str:
    """The process-group backend to use on a CPU-only machine: ``gloo``
    for the GPU-only ``nccl``, any other choice as given."""
    return 'gloo' if backend == 'nccl' else backend


@contextlib.contextmanager
def _no_cuda_set_device() -> Iterator[None]:
    """Make ``torch.cuda.set_device`` a no-op for the duration."""
    set_device = torch.cuda.set_device
    torch.cuda.set_device = lambda device: None
    try:
        yield
    finally:
        torch.cuda.set_device = set_device


@contextlib.contextmanager
def _cpu_ddp_device_ids() -> Iterator[None]:
    """Build every ``DistributedDataParallel`` (mmengine's wrappers
    included) without ``device_ids`` when its module is on the CPU."""
    init = DistributedDataParallel.__init__

    @functools.wraps(init)
    def cpu_init(self, module: torch.nn.Module, *args: Any,
                 **kwargs: Any) -> None:
        devices = {p.device.type for p in module.parameters()}
        if devices == {'cpu'}:
            kwargs['device_ids'] = None
            kwargs['output_device'] = None
        init(self, module, *args, **kwargs)

    DistributedDataParallel.__init__ = cpu_init
    try:
        yield
    finally:
        DistributedDataParallel.__init__ = init


def cpu_launcher(launch: Callable) -> Callable:
    """Wrap one of mmengine's ``_init_dist_<launcher>(backend, ...)``
    functions so that it works without CUDA (see the module docstring)."""

    @functools.wraps(launch)
    def wrapped(backend: str, *args: Any, **kwargs: Any) -> None:
        if not cpu_only():
            return launch(backend, *args, **kwargs)
        with _no_cuda_set_device():
            return launch(cpu_backend(backend), *args, **kwargs)

    setattr(wrapped, _PATCHED, True)
    return wrapped


def cpu_wrap_model(wrap_model: Callable) -> Callable:
    """Wrap ``Runner.wrap_model`` so that a distributed CPU run builds DDP
    without ``device_ids``."""

    @functools.wraps(wrap_model)
    def wrapped(runner: Any, model_wrapper_cfg: Any,
                model: torch.nn.Module) -> torch.nn.Module:
        if not (runner.distributed and cpu_only()):
            return wrap_model(runner, model_wrapper_cfg, model)
        with _cpu_ddp_device_ids():
            return wrap_model(runner, model_wrapper_cfg, model)

    setattr(wrapped, _PATCHED, True)
    return wrapped


def patch_dist_cpu() -> None:
    """Install both fixes into mmengine (once; a no-op on CUDA machines at
    run time, since each wrapper checks for a device when called)."""
    import mmengine.dist.utils as dist_utils
    from mmengine.runner import Runner
    for name in ('_init_dist_pytorch', '_init_dist_slurm'):
        launch = getattr(dist_utils, name)
        if not getattr(launch, _PATCHED, False):
            setattr(dist_utils, name, cpu_launcher(launch))
    if not getattr(Runner.wrap_model, _PATCHED, False):
        Runner.wrap_model = cpu_wrap_model(Runner.wrap_model)
