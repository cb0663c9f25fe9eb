import functools
import math
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from torch import Tensor

from ifkd.registry import MODELS


def low_pass_mask(size: Tuple[int, int], ratio: float,
                  device: Optional[torch.device] = None) -> Tensor:
    """Centred square low-pass window ``M_Binary`` of IFKD Eq. 4.

    ``max(|u - H/2|, |v - W/2|) <= r * min(H, W) / 2`` on the fftshift-ed
    spectrum, where ``H/2`` is read as the index ``H // 2`` that fftshift
    gives the zero frequency (so odd sizes stay centred on it). The window is
    point-symmetric about that frequency, hence the low band of a real
    feature is real. ``ratio <= 0`` gives an empty window (with ``<=`` alone
    the zero frequency would always be "low").

    Args:
        size (tuple[int, int]): Spectrum size (H, W); need not be square.
        ratio (float): Window ratio r.
        device (torch.device, optional): Device of the mask.

    Returns:
        Tensor: Bool mask of shape (H, W), True in the low band.
    """
    h, w = size
    if ratio <= 0:
        return torch.zeros(h, w, dtype=torch.bool, device=device)
    u = (torch.arange(h, device=device) - h // 2).abs()
    v = (torch.arange(w, device=device) - w // 2).abs()
    cheb = torch.maximum(u[:, None], v[None, :])
    return cheb <= ratio * min(h, w) / 2


def resize_matrix(n_out: int, n_in: int,
                  device: Optional[torch.device] = None) -> Tensor:
    """(n_out, n_in) matrix of 1-D antialiased linear resizing.

    The same weights as ``F.interpolate(mode='bilinear', antialias=True,
    align_corners=False)`` along one axis: a triangle filter centred on each
    output cell (half-pixel centres) whose half-width is the scale factor
    when shrinking (1 when enlarging), normalised to sum 1. When shrinking,
    every input entry lies within half a step of some output centre, so
    every entry gets a positive weight, i.e. a gradient; plain bilinear
    resizing reads only the two nearest entries and skips the rest.
    """
    scale = n_in / n_out
    support = max(scale, 1.0)
    centre = (torch.arange(n_out, dtype=torch.float64, device=device) +
              0.5) * scale
    src = torch.arange(n_in, dtype=torch.float64, device=device) + 0.5
    mat = (1 - (src[None] - centre[:, None]).abs() / support).clamp_min(0)
    return (mat / mat.sum(dim=1, keepdim=True)).float()


class _GradToNorm(torch.autograd.Function):
    """Identity whose backward rescales the gradient to a fixed L2 norm."""

    @staticmethod
    def forward(ctx, x: Tensor, norm: float) -> Tensor:
        ctx.norm = norm
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor):
        scale = ctx.norm / grad.norm().clamp_min(torch.finfo(grad.dtype).tiny)
        return grad * scale, None


def _centred_fft(x: Tensor) -> Tensor:
    return torch.fft.fftshift(torch.fft.fft2(x), dim=(-2, -1))


# Up to this many cells a map's DFT is cheaper as a dense real matmul than
# as an FFT (a 4 x 4 map of a 32 x 512 batch: 0.2 ms against 2.4 ms on one
# CPU thread); classifier maps (4 x 4 to 7 x 7) always take this path.
DENSE_DFT_MAX_CELLS = 256


@functools.lru_cache(maxsize=16)
def _dense_dft(h: int, w: int, device: torch.device) -> Tuple[Tensor, Tensor]:
    """Real and imaginary parts, (h*w, h*w) each, of the 2-D DFT of a
    flattened (h, w) map with the output in the centred (fftshift-ed)
    frequency order: row ``u`` holds frequency ``u - n // 2`` per axis."""

    def axis(n: int) -> Tensor:
        k = torch.arange(n, dtype=torch.float64)
        angle = -2 * math.pi * (k[:, None] - n // 2) * k[None, :] / n
        return torch.polar(torch.ones_like(angle), angle)

    basis = torch.kron(axis(h), axis(w))
    return basis.real.float().to(device), basis.imag.float().to(device)


def filter_real(x: Tensor, gain: Tensor) -> Tensor:
    """``Re(IDFT2(gain * fftshift(DFT2(x))))`` of fp32 maps (..., H, W).

    Args:
        x (Tensor): Real maps (..., H, W).
        gain (Tensor): Real gain in the centred layout, broadcastable to
            ``x`` (e.g. a (H, W) window or a (C, H, W) filter).

    Returns:
        Tensor: The filtered real maps, shaped like ``x``.
    """
    h, w = x.shape[-2:]
    if h * w <= DENSE_DFT_MAX_CELLS:
        cos, sin = _dense_dft(h, w, x.device)
        flat, g = x.flatten(-2), gain.flatten(-2)
        re, im = (flat @ cos.T) * g, (flat @ sin.T) * g
        # Re(conj(K)^T-applied spectrum) = re @ cos + im @ sin, over h*w.
        return ((re @ cos + im @ sin) / (h * w)).unflatten(-1, (h, w))
    # Shift the small gain rather than the large spectrum (twice).
    g = torch.fft.ifftshift(gain, dim=(-2, -1))
    return torch.fft.ifft2(torch.fft.fft2(x) * g).real


@MODELS.register_module()
class FDRConnector(BaseConnector):
    """Frequency domain reconstruction (FDR) of `Information Fusion with
    Knowledge Distillation for Fine-grained Remote Sensing Object Detection.

    <https://doi.org/10.1145/3664647.3681684>`_ (IFKD, Eq. 3-8, Algorithm 1).

    Applied to one teacher FPN level ``f`` with the FRS mask ``M``:
    ``F = fftshift(DFT(f))``; the low band ``F_l = M_Binary * F`` goes back
    to space, ``f_l = Re(IDFT(F_l))``, is weighted by ``M`` and returns to
    frequency, where the high band is added back and the learnable filter
    ``W`` is applied: ``f_hat = Re(IDFT((F_h + DFT(f_l * M)) * W))``. The
    reconstructed input ``z = f - f_l * (1 - M)`` (Eq. 5-7 by linearity) is
    what ``W`` filters. Runs in fp32 with autocast disabled.

    Departures from the paper, both documented:

    - ``W`` is positive, ``W = exp(log_w)`` with ``log_w = 0`` initially, so
      FDR starts as the identity when ``r = 0`` or ``M = 1``. It is kept at
      a reference size in the centred layout and resized (in log space,
      linear with antialiasing, see :func:`resize_matrix`) to each call's
      (H, W), because detector inputs change size. Every entry of ``W``
      thus takes part in (and gets a gradient from) every level.
    - Energy matching: the output is rescaled so that, per (sample, channel),
      its energy equals that of ``z``. Otherwise, with the target built from
      a learnable filter (the paper's public code even shares it with the
      student branch), the distillation loss is minimised by ``W -> 0``,
      i.e. by collapsing the target. ``W`` may reshape the spectrum but not
      scale it down. The rescaling uses the energy of the real output, not of
      ``Z * W`` (Parseval), because ``W`` need not be point-symmetric and the
      real part would then drop energy that ``W`` could exploit.

    ``W`` learns only through the distillation loss, so it drifts towards
    the student: it damps the bands where the student's (adapted) feature
    differs most from the target, typically the high frequencies a small
    student lacks. Energy matching bounds that drift (the target keeps its
    energy per channel, so ``W`` can move energy between bands but not
    remove it), as does the filter's own learning rate (its param group in
    the configs). :meth:`log_vars` reports the spread of ``log_w``.

    Args:
        in_channels (int): Channels C of the level. Defaults to 256.
        filter_size (tuple[int, int]): Reference (U, V) size of ``W``.
            Defaults to (64, 64).
        ratio_range (tuple[float, float]): r is drawn uniformly from it at
            every training call ("random length" of the window, Eq. 4; the
            paper gives no range). Defaults to (0.0, 0.2): centred on the
            fixed r = 0.1 of the paper's public code, randomised by +-0.1.
        ratio (float, optional): Fixed r for every call. Defaults to None:
            random in training, the middle of ``ratio_range`` in eval.
        grad_norm (float, optional): If set, the gradient that each call
            sends to ``log_w`` is rescaled to this L2 norm (its direction is
            kept). ``log_w``'s raw gradient is tiny and its scale varies by
            orders of magnitude with the detector, the level and the
            training state, so no fixed learning rate suits it; with this,
            an SGD step moves ``log_w`` by ``lr * grad_norm`` in L2 norm
            (before momentum and clipping) whatever the loss scale.
            Defaults to None (the raw gradient).
        init_cfg (dict, optional): The config to control the initialization.
    """

    def __init__(self,
                 in_channels: int = 256,
                 filter_size: Sequence[int] = (64, 64),
                 ratio_range: Sequence[float] = (0.0, 0.2),
                 ratio: Optional[float] = None,
                 grad_norm: Optional[float] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        assert 0 <= ratio_range[0] <= ratio_range[1], ratio_range
        assert grad_norm is None or grad_norm > 0, grad_norm
        self.grad_norm = grad_norm
        self.in_channels = in_channels
        self.ratio_range = tuple(ratio_range)
        self.ratio = ratio
        self.log_w = nn.Parameter(torch.zeros(in_channels, *filter_size))

    @torch.no_grad()
    def log_vars(self) -> Dict[str, Tensor]:
        """Spread of ``log_w`` (std and max - min) for the training log."""
        log_w = self.log_w.detach().float()
        return dict(
            logw_std=log_w.std(),
            logw_range=log_w.max() - log_w.min())

    def forward(self, feature: Tensor, frs_mask: Optional[Tensor] = None
                ) -> Tensor:
        """Reconstruct ``feature``; see :meth:`forward_train`."""
        return self.forward_train(feature, frs_mask=frs_mask)

    def sample_ratio(self) -> float:
        """The window ratio r for this call."""
        if self.ratio is not None:
            return self.ratio
        low, high = self.ratio_range
        if not self.training:
            return (low + high) / 2
        return low + (high - low) * torch.rand(()).item()

    def spectral_filter(self, size: Tuple[int, int]) -> Tensor:
        """``W`` (C, H, W) in the centred layout, resized to ``size``."""
        log_w = self.log_w.float()
        (h, w), (u, v) = size, log_w.shape[-2:]
        # On a 1 x 1 map W cannot act (energy matching undoes any gain), so
        # its gradient is rounding noise: never blow that up to a full step.
        if self.grad_norm is not None and log_w.requires_grad and h * w > 1:
            log_w = _GradToNorm.apply(log_w, self.grad_norm)
        if (h, w) != (u, v):
            # Separable, as two small matmuls: F.interpolate's CPU kernel
            # would copy W to channels-last (and zero-fill its gradient) at
            # every call.
            log_w = resize_matrix(h, u, log_w.device) @ log_w @ \
                resize_matrix(w, v, log_w.device).T
        return log_w.exp()

    def reconstruct(self, x: Tensor, frs_mask: Optional[Tensor],
                    ratio: float) -> Tensor:
        """Spatial ``z = f_h + f_l * M``, the input of the filter (Eq. 5-7)."""
        # r <= 0 gives an empty window (checked here to avoid a device sync).
        if frs_mask is None or ratio <= 0:
            return x
        window = low_pass_mask(x.shape[-2:], ratio, x.device)
        f_low = filter_real(x, window.to(x.dtype))
        return x - f_low * (1 - frs_mask.float())

    def forward_train(self, feature: Tensor,
                      frs_mask: Optional[Tensor] = None) -> Tensor:
        """Reconstruct one teacher level.

        Args:
            feature (Tensor): Teacher feature (B, C, H, W); pass it detached
                unless the teacher is meant to receive gradients.
            frs_mask (Tensor, optional): ``M_FRS`` of shape (B, 1, H, W),
                broadcast over channels. None means 1 (no low-band change).

        Returns:
            Tensor: ``f_hat`` with the shape and dtype of ``feature``.
        """
        b, c, h, w = feature.shape
        if c != self.in_channels:
            raise ValueError(
                f'FDRConnector(in_channels={self.in_channels}) got a '
                f'{c}-channel teacher feature: set in_channels to the '
                "teacher neck's out_channels.")
        if frs_mask is not None:
            assert frs_mask.shape == (b, 1, h, w), \
                f'frs_mask {tuple(frs_mask.shape)} != {(b, 1, h, w)}'
        with torch.autocast(feature.device.type, enabled=False):
            z = self.reconstruct(feature.float(), frs_mask,
                                 self.sample_ratio())
            out = filter_real(z, self.spectral_filter((h, w)))
            # Energy matching (anti-collapse); norms have safe grads at 0.
            z_norm = torch.linalg.vector_norm(z, dim=(-2, -1), keepdim=True)
            out_norm = torch.linalg.vector_norm(
                out, dim=(-2, -1), keepdim=True)
            out = out * z_norm / out_norm.clamp_min(torch.finfo(z.dtype).tiny)
        return out.to(feature.dtype)
