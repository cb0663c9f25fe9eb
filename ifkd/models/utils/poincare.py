"""Batched operations on the Poincaré ball of curvature ``-c`` (``c > 0``).

The ball is ``{x : c * |x|^2 < 1}``; points live along ``dim`` of any tensor,
e.g. the channels of a ``B x C x H x W`` feature map. Formulas follow
`Hyperbolic Neural Networks <https://arxiv.org/abs/1805.09112>`_ (Ganea et
al., 2018), which IFKD's Eq. 9-10 restate.

Everything is computed in fp32 with autocast disabled (fp64 inputs stay in
fp64): the ball's boundary region is where fp16/bf16 lose all precision.
"""
import functools
from typing import Callable, Optional

import torch
from torch import Tensor

# Smallest norm used as a divisor (keeps 0 / 0 out of every formula).
MIN_NORM = 1e-15
# Default boundary margin of ``project`` per dtype, as in geoopt.
BALL_EPS = {torch.float32: 4e-3, torch.float64: 1e-5}
# Per-element magnitude cap: beyond it tanh in ``expmap0`` is saturated for
# any sensible c, and capping (direction kept) avoids overflow of |x|^2.
_MAX_ABS = 1e15


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    return dtype if dtype == torch.float64 else torch.float32


def _full_precision(fn: Callable) -> Callable:
    """Run ``fn`` on fp32 (or fp64) tensors with autocast disabled."""

    def cast(a):
        return a.to(_compute_dtype(a.dtype)) if isinstance(a, Tensor) else a

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args = [cast(a) for a in args]
        kwargs = {k: cast(a) for k, a in kwargs.items()}
        first = next(a for a in [*args, *kwargs.values()]
                     if isinstance(a, Tensor))
        with torch.autocast(first.device.type, enabled=False):
            return fn(*args, **kwargs)

    return wrapper


def _shrink_huge(x: Tensor, dim: int) -> Tensor:
    """Rescale vectors with huge entries so that ``|x|^2`` cannot overflow.

    The direction is kept; only vectors far outside any ball are touched.
    """
    peak = x.detach().abs().amax(dim=dim, keepdim=True)
    return x / (peak / _MAX_ABS).clamp_min(1.0)


def _norm(x: Tensor, dim: int) -> Tensor:
    return x.norm(dim=dim, keepdim=True).clamp_min(MIN_NORM)


def _artanh(x: Tensor) -> Tensor:
    # Clamp below 1 by one ulp of the dtype so that the result stays finite.
    bound = 1 - torch.finfo(x.dtype).eps
    return torch.atanh(x.clamp(-bound, bound))


@_full_precision
def mobius_add(x: Tensor, y: Tensor, c: float = 1.0, dim: int = 1) -> Tensor:
    """Möbius addition ``x ⊕_c y`` (IFKD Eq. 9).

    Args:
        x (Tensor): Points on the ball (outside it the formula can overflow).
        y (Tensor): Points on the ball, broadcastable with ``x``.
        c (float): Curvature magnitude (> 0). Defaults to 1.0.
        dim (int): Dimension holding the point coordinates. Defaults to 1.

    Returns:
        Tensor: ``x ⊕_c y`` with the broadcast shape of ``x`` and ``y``.
    """
    x2 = x.pow(2).sum(dim=dim, keepdim=True)
    y2 = y.pow(2).sum(dim=dim, keepdim=True)
    xy = (x * y).sum(dim=dim, keepdim=True)
    num = (1 + 2 * c * xy + c * y2) * x + (1 - c * x2) * y
    denom = 1 + 2 * c * xy + c**2 * x2 * y2
    return num / denom.clamp_min(MIN_NORM)


@_full_precision
def project(x: Tensor,
            c: float = 1.0,
            dim: int = 1,
            eps: Optional[float] = None) -> Tensor:
    """Pull points strictly inside the ball of radius ``(1 - eps) / sqrt(c)``.

    Args:
        x (Tensor): Any finite tensor.
        c (float): Curvature magnitude (> 0). Defaults to 1.0.
        dim (int): Dimension holding the point coordinates. Defaults to 1.
        eps (float, optional): Relative margin to the boundary. Defaults to
            4e-3 for fp32 and 1e-5 for fp64 (as in geoopt).

    Returns:
        Tensor: ``x`` where it is inside, else ``x`` rescaled onto the
        shrunken boundary.
    """
    if eps is None:
        eps = BALL_EPS[x.dtype]
    x = _shrink_huge(x, dim)
    norm = _norm(x, dim)
    max_norm = (1 - eps) / c**0.5
    # One pass over x: the factor is 1 inside (x unchanged, exactly).
    return x * (max_norm / norm).clamp_max(1.0)


@_full_precision
def expmap0(v: Tensor, c: float = 1.0, dim: int = 1) -> Tensor:
    """Exponential map at the origin: ``tanh(sqrt(c)|v|) v / (sqrt(c)|v|)``.

    Args:
        v (Tensor): Tangent vectors at the origin (any finite values).
        c (float): Curvature magnitude (> 0). Defaults to 1.0.
        dim (int): Dimension holding the vector coordinates. Defaults to 1.

    Returns:
        Tensor: Points on the ball (may round onto the boundary for large
        ``|v|``; follow with :func:`project`).
    """
    sqrt_c = c**0.5
    v = _shrink_huge(v, dim)
    scaled_norm = sqrt_c * _norm(v, dim)
    return torch.tanh(scaled_norm) * v / scaled_norm


@_full_precision
def dist(x: Tensor,
         y: Tensor,
         c: float = 1.0,
         dim: int = 1,
         eps: Optional[float] = None) -> Tensor:
    """Geodesic distance ``2/sqrt(c) artanh(sqrt(c) |(-x) ⊕_c y|)`` (Eq. 10).

    Inputs are passed through :func:`project` first, so any finite tensor
    gives a finite distance; points already inside the projection radius are
    unchanged.

    Args:
        x (Tensor): Points on the ball.
        y (Tensor): Points on the ball, broadcastable with ``x``.
        c (float): Curvature magnitude (> 0). Defaults to 1.0.
        dim (int): Dimension holding the point coordinates; it is reduced.
            Defaults to 1.
        eps (float, optional): Boundary margin of that projection, as in
            :func:`project`. Defaults to None (the dtype's default).

    Returns:
        Tensor: Distances, with ``dim`` kept as a size-1 dimension.
    """
    sqrt_c = c**0.5
    x, y = project(x, c, dim, eps), project(y, c, dim, eps)
    diff = mobius_add(-x, y, c, dim).norm(dim=dim, keepdim=True)
    return 2 / sqrt_c * _artanh(sqrt_c * diff)
