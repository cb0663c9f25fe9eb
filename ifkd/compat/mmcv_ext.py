"""Run mmcv-lite: a stand-in ``mmcv._ext`` backed by torchvision and torch.

mmcv 2.1.0 has no wheel for current PyTorch and compiling its ops takes
~20 minutes. ``mmcv-lite`` is the same Python package without the compiled
``mmcv._ext``; every ``mmcv.ops`` module looks its kernels up on that module
by name (``mmcv.utils.ext_loader.load_ext``). When ``_ext`` is absent, this
module installs one whose kernels are:

* ``nms``: ``torchvision.ops.nms`` (``offset=1`` by widening boxes by 1);
* ``roi_align_forward`` / ``roi_align_backward``: torchvision's RoIAlign
  kernels (``pool_mode`` avg, which is what mmdet's RoI extractors use);
* ``sigmoid_focal_loss_forward`` / ``backward``: mmcv's CUDA kernel formula
  in torch ops (mmdet calls it only for CUDA tensors).

All of them run on CPU and CUDA. Any other kernel raises
:class:`MissingMMCVKernelError` when it is first called, naming the op and
the fix. Where the compiled ``mmcv._ext`` is importable nothing is changed.
"""
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Callable, Optional

import torch
import torchvision  # noqa: F401  (registers torch.ops.torchvision kernels)
from torch import Tensor

FULL_MMCV_HINT = ('install the full mmcv build with its compiled ops: '
                  '`IFKD_MMCV=full make setup` (compiles mmcv 2.1.0 once, '
                  'then reuses the cached wheel)')
PROVIDED_KERNELS = ('nms', 'roi_align_forward', 'roi_align_backward',
                    'sigmoid_focal_loss_forward',
                    'sigmoid_focal_loss_backward')
_FLT_MIN = torch.finfo(torch.float32).tiny


class MissingMMCVKernelError(NotImplementedError):
    """An mmcv op whose compiled kernel mmcv-lite does not have."""


def nms(bboxes: Tensor, scores: Tensor, iou_threshold: float,
        offset: int = 0) -> Tensor:
    """Indices kept by NMS, by decreasing score; ``offset`` as in mmcv."""
    if bboxes.numel() == 0:
        return bboxes.new_zeros(0, dtype=torch.long)
    if offset:
        # mmcv measures w = x2 - x1 + offset: widen the far corner instead.
        bboxes = torch.cat([bboxes[:, :2], bboxes[:, 2:4] + offset], dim=1)
    return torch.ops.torchvision.nms(bboxes, scores, float(iou_threshold))


def _check_avg(pool_mode: int) -> None:
    if pool_mode != 1:
        raise MissingMMCVKernelError(
            "mmcv's RoIAlign with pool_mode='max' has no torchvision kernel "
            f"(only 'avg', mmdet's default); {FULL_MMCV_HINT}.")


def roi_align_forward(input: Tensor, rois: Tensor, output: Tensor,
                      argmax_y: Tensor, argmax_x: Tensor, aligned_height: int,
                      aligned_width: int, spatial_scale: float,
                      sampling_ratio: int, pool_mode: int,
                      aligned: bool) -> None:
    """mmcv's RoIAlign forward: writes into ``output`` (rois: idx,x1,y1,x2,y2).

    ``sampling_ratio`` 0 is adaptive in both libraries.
    """
    _check_avg(pool_mode)
    if rois.numel() == 0:
        return
    out = torch.ops.torchvision.roi_align(input, rois.to(input.dtype),
                                          float(spatial_scale),
                                          int(aligned_height),
                                          int(aligned_width),
                                          int(sampling_ratio), bool(aligned))
    output.copy_(out)


def roi_align_backward(grad_output: Tensor, rois: Tensor, argmax_y: Tensor,
                       argmax_x: Tensor, grad_input: Tensor,
                       aligned_height: int, aligned_width: int,
                       spatial_scale: float, sampling_ratio: int,
                       pool_mode: int, aligned: bool) -> None:
    """mmcv's RoIAlign backward: accumulates into ``grad_input``."""
    _check_avg(pool_mode)
    if rois.numel() == 0:
        return
    n, c, h, w = grad_input.shape
    grad = torch.ops.torchvision._roi_align_backward(
        grad_output, rois.to(grad_output.dtype), float(spatial_scale),
        int(aligned_height), int(aligned_width), n, c, h, w,
        int(sampling_ratio), bool(aligned))
    grad_input.add_(grad.to(grad_input.dtype))


def _focal_terms(input: Tensor, target: Tensor,
                 weight: Tensor) -> tuple:
    """Probabilities, positive/negative flags and per-row class weights."""
    p = torch.sigmoid(input)
    classes = torch.arange(input.size(1), device=input.device)
    pos = (target[:, None] == classes).to(input.dtype)
    if weight.numel():
        # mmcv reads weight[target]; background rows (target == C) read past
        # the end there, here they get weight 1.
        w = torch.ones_like(target, dtype=input.dtype)
        fg = target < input.size(1)
        w[fg] = weight[target[fg]].to(input.dtype)
        row_weight = w[:, None]
    else:
        row_weight = None
    return p, pos, row_weight


def sigmoid_focal_loss_forward(input: Tensor, target: Tensor, weight: Tensor,
                               output: Tensor, gamma: float,
                               alpha: float) -> None:
    """mmcv's elementwise sigmoid focal loss, written into ``output``."""
    p, pos, row_weight = _focal_terms(input, target, weight)
    term_p = (1 - p).pow(gamma) * torch.log(p.clamp(min=_FLT_MIN))
    term_n = p.pow(gamma) * torch.log((1 - p).clamp(min=_FLT_MIN))
    loss = -pos * alpha * term_p - (1 - pos) * (1 - alpha) * term_n
    if row_weight is not None:
        loss = loss * row_weight
    output.copy_(loss)


def sigmoid_focal_loss_backward(input: Tensor, target: Tensor, weight: Tensor,
                                grad_input: Tensor, gamma: float,
                                alpha: float) -> None:
    """d(loss)/d(input) of :func:`sigmoid_focal_loss_forward` (mmcv's
    closed form), written into ``grad_input``."""
    p, pos, row_weight = _focal_terms(input, target, weight)
    term_p = (1 - p).pow(gamma) * (
        1 - p - gamma * p * torch.log(p.clamp(min=_FLT_MIN)))
    term_n = p.pow(gamma) * (
        gamma * (1 - p) * torch.log((1 - p).clamp(min=_FLT_MIN)) - p)
    grad = -pos * alpha * term_p - (1 - pos) * (1 - alpha) * term_n
    if row_weight is not None:
        grad = grad * row_weight
    grad_input.copy_(grad)


def _missing_kernel(name: str) -> Callable:

    def kernel(*args, **kwargs):
        raise MissingMMCVKernelError(
            f"mmcv op kernel '{name}' is not available: this environment has "
            'mmcv-lite (no compiled ops) and ifkd provides only '
            f"{', '.join(PROVIDED_KERNELS)} through torchvision. To use "
            f"'{name}', {FULL_MMCV_HINT}.")

    kernel.__name__ = name
    return kernel


class _StandInLoader(importlib.abc.Loader):
    """Gives the stand-in a real module spec: mmengine's
    ``mmcv_full_available`` asks ``pkgutil.find_loader('mmcv._ext')``, which
    fails on a module without ``__spec__``."""

    def create_module(self, spec: importlib.machinery.ModuleSpec):
        return sys.modules.get(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        pass


class TorchvisionExt(types.ModuleType):
    """``mmcv._ext`` stand-in: provided kernels, or ones that raise on use."""

    def __init__(self) -> None:
        super().__init__('mmcv._ext', __doc__)
        for name in PROVIDED_KERNELS:
            setattr(self, name, globals()[name])
        self.__ifkd_stand_in__ = True
        self.__spec__ = importlib.machinery.ModuleSpec(
            'mmcv._ext', _StandInLoader(), origin=__file__)

    def __getattr__(self, name: str) -> Callable:
        if name.startswith('__'):
            raise AttributeError(name)
        return _missing_kernel(name)


def compiled_ext_available() -> bool:
    """Whether a real compiled ``mmcv._ext`` is importable."""
    loaded = sys.modules.get('mmcv._ext')
    if loaded is not None:
        return not getattr(loaded, '__ifkd_stand_in__', False)
    try:
        return importlib.util.find_spec('mmcv._ext') is not None
    except ModuleNotFoundError:  # no mmcv at all
        return False


def install_mmcv_ext() -> Optional[TorchvisionExt]:
    """Install the stand-in unless a compiled ``mmcv._ext`` exists.

    Returns the installed (or already installed) stand-in, or ``None`` when
    the real extension (or no mmcv) is present and nothing was changed.
    """
    current = sys.modules.get('mmcv._ext')
    if getattr(current, '__ifkd_stand_in__', False):
        return current
    if importlib.util.find_spec('mmcv') is None or compiled_ext_available():
        return None
    import mmcv
    ext = TorchvisionExt()
    sys.modules['mmcv._ext'] = ext
    mmcv._ext = ext
    return ext
