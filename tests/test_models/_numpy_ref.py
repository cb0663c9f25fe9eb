"""Independent numpy references shared by the ifkd model tests."""
import numpy as np


def _axis_weights(n_in: int, n_out: int):
    """Half-pixel (align_corners=False) bilinear source indices and weights,
    with the source clamped at 0 like PyTorch."""
    src = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    src = np.maximum(src, 0)
    i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, src - i0


def bilinear(x: np.ndarray, size) -> np.ndarray:
    """Resize the last two axes of ``x`` to ``size`` (no antialias)."""
    r0, r1, ry = _axis_weights(x.shape[-2], size[0])
    c0, c1, cx = _axis_weights(x.shape[-1], size[1])
    rows = x[..., r0, :] * (1 - ry)[:, None] + x[..., r1, :] * ry[:, None]
    return rows[..., c0] * (1 - cx) + rows[..., c1] * cx


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))
