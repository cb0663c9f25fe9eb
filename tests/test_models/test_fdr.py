import numpy as np
import pytest
import torch
import torch.nn.functional as F

import ifkd  # noqa: F401  (applies the compat patches first)
from ifkd.models.connectors import FDRConnector
from ifkd.models.connectors.fdr import low_pass_mask
from ifkd.models.utils import frs_mask

from ._numpy_ref import sigmoid


def reference_fdr(f, m, r, log_w):
    """Algorithm 1 step by step in numpy (float64), plus energy matching.

    f: (B, C, H, W); m: (B, 1, H, W) or None; log_w: (C, H, W).
    """
    ax = (-2, -1)
    h, w = f.shape[-2:]
    spec = np.fft.fftshift(np.fft.fft2(f, axes=ax), axes=ax)  # Eq. 3
    u = np.abs(np.arange(h) - h // 2)[:, None]
    v = np.abs(np.arange(w) - w // 2)[None, :]
    binary = (np.maximum(u, v) <= r * min(h, w) / 2) & (r > 0)  # Eq. 4
    f_low = spec * binary  # Eq. 5
    f_high = spec * (1 - binary)  # Eq. 6
    low = np.fft.ifft2(np.fft.ifftshift(f_low, axes=ax), axes=ax).real  # 7
    low_hat = low * (1 if m is None else m)
    new_low = np.fft.fftshift(np.fft.fft2(low_hat, axes=ax), axes=ax)
    recon = f_high + new_low
    filtered = recon * np.exp(log_w)  # Eq. 8
    out = np.fft.ifft2(np.fft.ifftshift(filtered, axes=ax), axes=ax).real
    z = np.fft.ifft2(np.fft.ifftshift(recon, axes=ax), axes=ax).real
    gain = np.sqrt((z**2).sum(ax, keepdims=True) /
                   (out**2).sum(ax, keepdims=True))
    return out * gain


def _inputs(shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    b, c, h, w = shape
    f = torch.randn(shape, generator=g) * 3 + 1
    m = torch.rand((b, 1, h, w), generator=g)
    return f, m


def test_low_pass_mask_hand_made():
    # 5 x 8, r = 0.5: half-size 0.5 * 5 / 2 = 1.25 around the DC at (2, 4).
    expected = torch.zeros(5, 8, dtype=torch.bool)
    expected[1:4, 3:6] = True
    assert torch.equal(low_pass_mask((5, 8), 0.5), expected)
    assert not low_pass_mask((5, 8), 0.0).any()
    assert low_pass_mask((6, 6), 1.0).all()
    # Non-square, r = 1: half-size min(6, 4) / 2 = 2 around (3, 2), so only
    # row 0 (|0 - 3| = 3) is outside.
    expected = torch.ones(6, 4, dtype=torch.bool)
    expected[0] = False
    assert torch.equal(low_pass_mask((6, 4), 1.0), expected)


@pytest.mark.parametrize('shape', [(2, 3, 13, 22), (1, 4, 9, 7),
                                   (2, 2, 16, 10)])
@pytest.mark.parametrize('ratio', [0.3, 0.7, 1.0])
def test_matches_numpy_reference(shape, ratio):
    f, m = _inputs(shape, seed=hash((shape, ratio)) % 1000)
    fdr = FDRConnector(in_channels=shape[1], filter_size=shape[-2:],
                       ratio=ratio)
    with torch.no_grad():  # a non-trivial, asymmetric filter
        fdr.log_w.normal_(0, 0.5)
    out = fdr(f, frs_mask=m)
    ref = reference_fdr(f.double().numpy(), m.double().numpy(), ratio,
                        fdr.log_w.detach().double().numpy())
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-4,
                               atol=1e-4)
    # The FRS mask matters: without it the result is different.
    ref_no_mask = reference_fdr(f.double().numpy(), None, ratio,
                                fdr.log_w.detach().double().numpy())
    assert np.abs(ref - ref_no_mask).max() > 1e-2


def _aa_resize(x: torch.Tensor, size) -> torch.Tensor:
    """PyTorch's own antialiased bilinear resize (PIL's filter)."""
    return F.interpolate(x[None], size=size, mode='bilinear',
                         align_corners=False, antialias=True)[0]


def test_filter_is_resized_with_antialiasing():
    f, m = _inputs((2, 3, 11, 18), seed=3)
    fdr = FDRConnector(in_channels=3, filter_size=(16, 16), ratio=0.5)
    with torch.no_grad():
        fdr.log_w.normal_(0, 0.5)
    log_w = _aa_resize(fdr.log_w.detach().double(), (11, 18)).numpy()
    ref = reference_fdr(f.double().numpy(), m.double().numpy(), 0.5, log_w)
    np.testing.assert_allclose(
        fdr(f, frs_mask=m).detach().numpy(), ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('size', [(11, 18), (1, 1), (5, 7), (100, 128)])
def test_filter_resize_matches_interpolate_and_its_gradient(size):
    fdr = FDRConnector(in_channels=3, filter_size=(64, 64))
    with torch.no_grad():
        fdr.log_w.normal_(0, 0.5)
    log_w = fdr.log_w.detach().clone().requires_grad_()
    ref = _aa_resize(log_w, size).exp()
    out = fdr.spectral_filter(size)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    probe = torch.randn(3, *size)
    (out * probe).sum().backward()
    (ref * probe).sum().backward()
    torch.testing.assert_close(fdr.log_w.grad, log_w.grad, rtol=1e-4,
                               atol=1e-4)


# P3-P7 of an 800 x 1333 input, the synthetic set's 128 px, and 2 x 2.
@pytest.mark.parametrize('size', [(100, 167), (25, 42), (13, 21), (7, 11),
                                  (4, 4), (2, 2), (1, 1)])
def test_every_filter_entry_gets_a_gradient_at_every_level(size):
    fdr = FDRConnector(in_channels=2, filter_size=(64, 64))
    f, m = _inputs((1, 2, *size), seed=11)
    target = torch.randn_like(f)
    (fdr(f, frs_mask=m) - target).pow(2).sum().backward()
    if min(size) > 1:  # a 1 x 1 map has one frequency: energy matching
        # leaves W no effect there, so its gradient is 0 by design.
        assert (fdr.log_w.grad != 0).all(), 'entries of W without gradient'
    # The resize itself touches every entry: plain bilinear (the control)
    # reaches only a fraction of them when shrinking.
    fdr = FDRConnector(in_channels=2, filter_size=(64, 64))
    fdr.spectral_filter(size).sum().backward()
    assert (fdr.log_w.grad != 0).all()
    plain = fdr.log_w.detach().clone().requires_grad_()
    F.interpolate(plain[None], size=size, mode='bilinear',
                  align_corners=False)[0].exp().sum().backward()
    reached = (plain.grad[0] != 0).float().mean().item()
    if size == (25, 42):  # the fraction the review measured
        assert reached == pytest.approx(0.78, abs=0.01)
    if size[0] < 32:
        assert reached < 0.8


@pytest.mark.parametrize('ratio,use_mask', [(0.0, True), (0.6, False),
                                            (1.0, 'ones')])
def test_identity_with_initial_filter(ratio, use_mask):
    f, m = _inputs((2, 5, 13, 20), seed=4)
    mask = {True: m, False: None, 'ones': torch.ones_like(m)}[use_mask]
    fdr = FDRConnector(in_channels=5, ratio=ratio)  # W resized from 64x64
    torch.testing.assert_close(fdr(f, frs_mask=mask), f, rtol=0, atol=1e-5)


def test_ratio_is_random_in_training_only():
    f, m = _inputs((1, 2, 12, 12), seed=5)
    fdr = FDRConnector(in_channels=2, ratio_range=(0.2, 0.9))
    draws = [fdr.sample_ratio() for _ in range(200)]
    assert min(draws) >= 0.2 and max(draws) <= 0.9
    assert max(draws) - min(draws) > 0.5
    torch.manual_seed(0)
    outs = [fdr(f, frs_mask=m) for _ in range(5)]
    assert any((o - outs[0]).abs().max() > 1e-4 for o in outs[1:])
    fdr.eval()
    assert fdr.sample_ratio() == pytest.approx(0.55)
    torch.testing.assert_close(fdr(f, frs_mask=m), fdr(f, frs_mask=m))
    fixed = FDRConnector(in_channels=2, ratio_range=(0.2, 0.9), ratio=0.4)
    assert {fixed.sample_ratio() for _ in range(10)} == {0.4}


def _high_band_share(x: np.ndarray, ratio: float) -> np.ndarray:
    """Per (sample, channel) share of the energy outside the low band of
    Eq. 4, in numpy."""
    ax = (-2, -1)
    h, w = x.shape[-2:]
    power = np.abs(np.fft.fftshift(np.fft.fft2(x, axes=ax), axes=ax))**2
    u = np.abs(np.arange(h) - h // 2)[:, None]
    v = np.abs(np.arange(w) - w // 2)[None, :]
    low = np.maximum(u, v) <= ratio * min(h, w) / 2
    return (power * ~low).sum(ax) / power.sum(ax)


def test_filter_reshapes_the_spectrum_but_keeps_the_energy():
    f, m = _inputs((1, 2, 12, 16), seed=6)
    fdr = FDRConnector(in_channels=2, filter_size=(12, 16), ratio=0.5)
    # A smooth target: matching it asks W to damp the high band.
    target = F.avg_pool2d(f, 5, stride=1, padding=2)
    opt = torch.optim.Adam(fdr.parameters(), lr=0.05)
    for _ in range(60):
        opt.zero_grad()
        (fdr(f, frs_mask=m) - target).pow(2).sum().backward()
        opt.step()
    out = fdr(f, frs_mask=m).detach().double().numpy()
    # z (the filter's input) from the numpy reference with W = 1.
    z = reference_fdr(f.double().numpy(), m.double().numpy(), 0.5,
                      np.zeros((2, 12, 16)))
    # Energy per (sample, channel) is that of z, whatever W learnt ...
    np.testing.assert_allclose((out**2).sum((-2, -1)),
                               (z**2).sum((-2, -1)), rtol=1e-4)
    # ... while the high band lost most of its share (W did reshape).
    before, after = _high_band_share(z, 0.3), _high_band_share(out, 0.3)
    assert (after < 0.5 * before).all(), (before, after)
    # Control: without energy matching, the same filter family collapses
    # the target towards 0 under the loss that FDR's W cannot exploit.
    log_w = torch.zeros(2, 12, 16, requires_grad=True)
    opt = torch.optim.Adam([log_w], lr=0.05)
    zt = torch.from_numpy(z).float()
    spec = torch.fft.fftshift(torch.fft.fft2(zt), dim=(-2, -1))
    for _ in range(60):
        opt.zero_grad()
        raw = torch.fft.ifft2(torch.fft.ifftshift(
            spec * log_w.exp(), dim=(-2, -1))).real
        raw.pow(2).sum().backward()
        opt.step()
    assert raw.detach().pow(2).sum() < 0.1 * zt.pow(2).sum()


@pytest.mark.parametrize('size', [(10, 14), (20, 24)])
def test_dtype_and_fp32_fft_under_autocast(monkeypatch, size):
    """Both DFT paths (dense matmul up to DENSE_DFT_MAX_CELLS cells, FFT
    above) get fp32 maps and gains under bf16 autocast."""
    import ifkd.models.connectors.fdr as fdr_module
    dense = size[0] * size[1] <= fdr_module.DENSE_DFT_MAX_CELLS
    f, m = _inputs((1, 3, *size), seed=7)
    fdr = FDRConnector(in_channels=3, filter_size=size, ratio=0.5)
    with torch.no_grad():
        fdr.log_w.normal_(0, 0.3)
    seen, ffts = [], []
    orig_filter = fdr_module.filter_real

    def spy_filter(x, gain):
        seen.extend([x.dtype, gain.dtype])
        return orig_filter(x, gain)

    monkeypatch.setattr(fdr_module, 'filter_real', spy_filter)
    for name in ('fft2', 'ifft2'):
        orig = getattr(torch.fft, name)

        def spy(x, *args, _orig=orig, **kwargs):
            ffts.append(x.dtype)
            return _orig(x, *args, **kwargs)

        monkeypatch.setattr(torch.fft, name, spy)
    fb = f.bfloat16()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = fdr(fb, frs_mask=m.bfloat16())
    assert out.dtype == torch.bfloat16
    assert len(seen) == 4 and set(seen) == {torch.float32}
    assert (not ffts) if dense else \
        (ffts and set(ffts) <= {torch.float32, torch.complex64})
    expected = fdr(fb.float(), frs_mask=m.bfloat16().float())
    torch.testing.assert_close(out, expected.bfloat16())
    assert fdr(f.half(), frs_mask=m).dtype == torch.float16


@pytest.mark.parametrize('size', [(1, 1), (4, 4), (7, 7), (5, 8), (16, 16)])
def test_dense_dft_path_matches_numpy_fft(size):
    """filter_real's dense path against numpy's FFT, value and gradient
    (the gradient of sum(out * r) is the adjoint applied to r)."""
    from ifkd.models.connectors.fdr import filter_real
    rng = np.random.default_rng(sum(size))
    x = rng.normal(size=(2, 3, *size))
    gain = np.exp(rng.normal(size=(3, *size)))
    r = rng.normal(size=x.shape)
    spec = np.fft.fftshift(np.fft.fft2(x), axes=(-2, -1)) * gain
    want = np.fft.ifft2(np.fft.ifftshift(spec, axes=(-2, -1))).real
    xt = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    out = filter_real(xt, torch.tensor(gain, dtype=torch.float32))
    np.testing.assert_allclose(out.detach().numpy(), want, atol=1e-5)
    (out * torch.tensor(r, dtype=torch.float32)).sum().backward()
    # A real gain makes the operator symmetric: its adjoint is itself.
    rspec = np.fft.fft2(r) * np.fft.ifftshift(gain, axes=(-2, -1))
    grad = np.fft.ifft2(rspec).real
    np.testing.assert_allclose(xt.grad.numpy(), grad, atol=1e-5)


def test_gradient_reaches_filter_not_detached_teacher():
    f, m = _inputs((2, 3, 8, 12), seed=8)
    teacher = f.clone().requires_grad_(True)
    student = torch.randn_like(f)
    fdr = FDRConnector(in_channels=3, ratio=0.5)
    loss = (fdr(teacher.detach(), frs_mask=m) - student).pow(2).sum()
    loss.backward()
    assert teacher.grad is None
    grad = fdr.log_w.grad
    assert grad is not None and torch.isfinite(grad).all()
    assert grad.abs().max() > 0
    # Control: without detach the teacher would receive a gradient.
    (fdr(teacher, frs_mask=m) - student).pow(2).sum().backward()
    assert teacher.grad is not None and teacher.grad.abs().max() > 0


def test_zero_feature_is_safe():
    fdr = FDRConnector(in_channels=2, ratio=0.5)
    x = torch.zeros(1, 2, 6, 9)
    out = fdr(x, frs_mask=torch.rand(1, 1, 6, 9))
    assert torch.equal(out, x)
    out.sum().backward()
    assert torch.isfinite(fdr.log_w.grad).all()


def test_frs_mask_retinanet_and_rpn():
    g = torch.Generator().manual_seed(9)
    a, k = 9, 3
    retina = (torch.randn(2, a * k, 5, 7, generator=g) * 4).requires_grad_()
    expected = sigmoid(retina.detach().double().numpy()).reshape(
        2, a, k, 5, 7).max(axis=(1, 2))[:, None]
    got = frs_mask(retina)
    assert got.shape == (2, 1, 5, 7) and not got.requires_grad
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)
    rpn = torch.randn(2, 3, 4, 6, generator=g).half()
    expected = sigmoid(rpn.double().numpy()).max(axis=1, keepdims=True)
    got = frs_mask(rpn)
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)


def test_grad_norm_fixes_the_step_whatever_the_loss_scale():
    f, m = _inputs((2, 3, 10, 12), seed=12)
    target = torch.randn_like(f)
    grads = []
    for grad_norm, scale in ((None, 1.0), (0.5, 1.0), (0.5, 1e6)):
        fdr = FDRConnector(in_channels=3, filter_size=(16, 16), ratio=0.5,
                           grad_norm=grad_norm)
        with torch.no_grad():
            fdr.log_w.normal_(0, 0.3, generator=torch.Generator()
                              .manual_seed(1))
        out = fdr(f, frs_mask=m)
        (scale * (out - target).pow(2).sum()).backward()
        grads.append(fdr.log_w.grad)
        # the forward is unchanged
        plain = FDRConnector(in_channels=3, filter_size=(16, 16), ratio=0.5)
        plain.log_w.data = fdr.log_w.data.clone()
        torch.testing.assert_close(out, plain(f, frs_mask=m))
    raw, unit, big = grads
    assert raw.norm() < 0.1 or raw.norm() > 1  # not already 0.5
    torch.testing.assert_close(unit.norm(), torch.tensor(0.5))
    torch.testing.assert_close(big, unit, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(unit, raw * 0.5 / raw.norm())
