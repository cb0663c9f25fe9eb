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


def bilinear_matrix(n_out: int, n_in: int,
                    device: Optional[torch.device] = None) -> Tensor:
    """(n_out, n_in) matrix of 1-D bilinear resizing with half-pixel
    centres (``F.interpolate(mode='bilinear', align_corners=False)``,
    source clamped at 0, no antialias)."""
    src = ((torch.arange(n_out, dtype=torch.float64, device=device) + 0.5) *
           (n_in / n_out) - 0.5).clamp(min=0)
    i0 = src.floor().long().clamp(max=n_in - 1)
    i1 = (i0 + 1).clamp(max=n_in - 1)
    frac = src - i0
    rows = torch.arange(n_out, device=device)
    mat = torch.zeros(n_out, n_in, dtype=torch.float64, device=device)
    mat.index_put_((rows, i0), 1 - frac, accumulate=True)
    mat.index_put_((rows, i1), frac, accumulate=True)
    return mat.float()


def _centred_fft(x: Tensor) -> Tensor:
    return torch.fft.fftshift(torch.fft.fft2(x), dim=(-2, -1))


def _real_ifft(spec: Tensor) -> Tensor:
    return torch.fft.ifft2(torch.fft.ifftshift(spec, dim=(-2, -1))).real


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
      a reference size in the centred layout and bilinearly resized (in log
      space) to each call's (H, W), because detector inputs change size.
    - Energy matching: the output is rescaled so that, per (sample, channel),
      its energy equals that of ``z``. Otherwise, with the target built from
      a learnable filter (the paper's public code even shares it with the
      student branch), the distillation loss is minimised by ``W -> 0``,
      i.e. by collapsing the target. ``W`` may reshape the spectrum but not
      scale it down. The rescaling uses the energy of the real output, not of
      ``Z * W`` (Parseval), because ``W`` need not be point-symmetric and the
      real part would then drop energy that ``W`` could exploit.

    Args:
        in_channels (int): Channels C of the level. Defaults to 256.
        filter_size (tuple[int, int]): Reference (U, V) size of ``W``.
            Defaults to (64, 64).
        ratio_range (tuple[float, float]): r is drawn uniformly from it at
            every training call ("random length" of the window, Eq. 4).
            Defaults to (0.0, 0.2), whose mean is the fixed 0.1 of the
            paper's public code.
        ratio (float, optional): Fixed r for every call. Defaults to None:
            random in training, the middle of ``ratio_range`` in eval.
        init_cfg (dict, optional): The config to control the initialization.
    """

    def __init__(self,
                 in_channels: int = 256,
                 filter_size: Sequence[int] = (64, 64),
                 ratio_range: Sequence[float] = (0.0, 0.2),
                 ratio: Optional[float] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        assert 0 <= ratio_range[0] <= ratio_range[1], ratio_range
        self.in_channels = in_channels
        self.ratio_range = tuple(ratio_range)
        self.ratio = ratio
        self.log_w = nn.Parameter(torch.zeros(in_channels, *filter_size))

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
        if (h, w) != (u, v):
            # Separable, as two small matmuls: F.interpolate's CPU kernel
            # would copy W to channels-last (and zero-fill its gradient) at
            # every call.
            log_w = bilinear_matrix(h, u, log_w.device) @ log_w @ \
                bilinear_matrix(w, v, log_w.device).T
        return log_w.exp()

    def reconstruct(self, x: Tensor, frs_mask: Optional[Tensor],
                    ratio: float) -> Tensor:
        """Spatial ``z = f_h + f_l * M``, the input of the filter (Eq. 5-7)."""
        # r <= 0 gives an empty window (checked here to avoid a device sync).
        if frs_mask is None or ratio <= 0:
            return x
        window = low_pass_mask(x.shape[-2:], ratio, x.device)
        f_low = _real_ifft(_centred_fft(x) * window)
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
            out = _real_ifft(_centred_fft(z) * self.spectral_filter((h, w)))
            # Energy matching (anti-collapse); norms have safe grads at 0.
            z_norm = torch.linalg.vector_norm(z, dim=(-2, -1), keepdim=True)
            out_norm = torch.linalg.vector_norm(
                out, dim=(-2, -1), keepdim=True)
            out = out * z_norm / out_norm.clamp_min(torch.finfo(z.dtype).tiny)
        return out.to(feature.dtype)
