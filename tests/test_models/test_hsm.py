import math

import geoopt
import pytest
import torch
from geoopt.manifolds.stereographic.math import mobius_add, project

import ifkd  # noqa: F401  (applies the compat patches first)
from ifkd.models.connectors import HSMConnector


def _rms_scale(t):
    """The adaptive default: 1 / (sqrt(C) * RMS(teacher)) per image."""
    rms = t.double().pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt()
    return 1 / (math.sqrt(t.shape[1]) * rms)


def _reference_mask(t, s, c, scale, eps=4e-3):
    """Per-location geoopt distances (fp64), normalised to mean 1 per image.

    The projections use the margin ``eps`` (the fp32 module's default
    4e-3 unless given).
    """
    ball = geoopt.manifolds.PoincareBall(
        c=torch.tensor(c, dtype=torch.float64))
    k = -torch.tensor(c, dtype=torch.float64)
    if scale is None:
        scale = _rms_scale(t)
    to_ball = [
        project(ball.expmap0(scale * x.double(), dim=1, project=False),
                k=k, dim=1, eps=eps) for x in (t, s)
    ]
    # geoopt's own mobius_add/dist would project again with its margin.
    d = 2 / math.sqrt(c) * torch.atanh(math.sqrt(c) * mobius_add(
        -to_ball[0], to_ball[1], k=k, dim=1).norm(dim=1, keepdim=True))
    return (d / d.mean(dim=(2, 3), keepdim=True)).to(t.dtype)


def test_matches_geoopt_reference():
    g = torch.Generator().manual_seed(0)
    t = torch.randn(2, 16, 5, 7, generator=g) * 2
    s = t + torch.randn(2, 16, 5, 7, generator=g)
    t[1] *= 10  # the adaptive scale is per image
    s[1] *= 10
    for c, scale in ((1.0, None), (0.5, 0.1)):
        mask = HSMConnector(curvature=c, scale=scale)(t, s)
        ref = _reference_mask(t, s, c, scale)
        assert mask.shape == (2, 1, 5, 7)
        torch.testing.assert_close(mask, ref, rtol=1e-4, atol=1e-4)


def _euclidean_mask(t, s):
    d = (t - s).norm(dim=1, keepdim=True)
    return d / d.mean(dim=(2, 3), keepdim=True)


def _spread(mask):
    return mask.flatten(1).std(dim=1).mean().item()


@pytest.mark.parametrize('rms', [0.1, 0.3, 1.0, 3.0, 10.0, 30.0])
def test_mask_discriminates_at_any_feature_scale(rms):
    g = torch.Generator().manual_seed(4)
    # Student = teacher + noise whose size varies over the map, as in
    # training: the mask should single out where they differ.
    t = torch.randn(2, 64, 12, 16, generator=g)
    noise = torch.randn(2, 64, 12, 16, generator=g)
    s = t + noise * torch.rand(2, 1, 12, 16, generator=g) * 1.5
    t, s = t * rms, s * rms
    hsm = HSMConnector()
    eucl = _spread(_euclidean_mask(t, s))
    spread = _spread(hsm(t, s))
    assert 0.5 * eucl <= spread <= 2 * eucl, (spread, eucl)
    assert hsm.log_vars()['mask_std'].item() == pytest.approx(spread,
                                                              rel=1e-5)
    # Control: the former fixed scale 1 / sqrt(C) saturates tanh at
    # large scales and the mask goes flat.
    fixed = _spread(HSMConnector(scale=1 / math.sqrt(64))(t, s))
    if rms >= 10:
        assert fixed < 0.5 * eucl, (fixed, eucl)


def test_eps_is_honoured_by_every_projection():
    g = torch.Generator().manual_seed(5)
    # A large fixed scale: every point is projected onto the shrunken
    # boundary, where the margin decides the distances.
    t = torch.randn(1, 8, 4, 5, generator=g)
    s = torch.randn(1, 8, 4, 5, generator=g)
    t[..., 0, 0] = s[..., 0, 0] * 1.01  # one nearly identical location
    for eps in (0.05, 0.3):
        mask = HSMConnector(scale=100.0, eps=eps)(t, s)
        ref = _reference_mask(t, s, 1.0, 100.0, eps=eps)
        torch.testing.assert_close(mask, ref, rtol=1e-4, atol=1e-4)
    # Below fp32's default margin 4e-3 (what a second projection with the
    # default would impose), in fp64: the mask follows its own eps.
    t64, s64 = t.double(), s.double()
    mask = HSMConnector(scale=100.0, eps=1e-6)(t64, s64)
    assert mask.dtype == torch.float64
    ref = _reference_mask(t64, s64, 1.0, 100.0, eps=1e-6).double()
    torch.testing.assert_close(mask, ref, rtol=1e-4, atol=1e-4)
    default = _reference_mask(t64, s64, 1.0, 100.0).double()
    assert (mask - default).abs().max() > 1e-2
    assert not torch.allclose(
        HSMConnector(scale=100.0, eps=0.05)(t, s),
        HSMConnector(scale=100.0, eps=0.3)(t, s),
        atol=1e-2)


def test_mean_one_and_larger_where_features_differ():
    g = torch.Generator().manual_seed(1)
    s = torch.randn(2, 8, 4, 6, generator=g)
    t = s.clone()
    t[:, :, 0, 0] += 3.0  # differs most
    t[:, :, 2, 3] += 1.0  # differs a little
    mask = HSMConnector()(t, s)
    torch.testing.assert_close(
        mask.mean(dim=(2, 3)), torch.ones(2, 1), rtol=1e-6, atol=1e-6)
    m = mask[:, 0]
    assert (m[:, 0, 0] > m[:, 2, 3]).all()
    others = torch.ones(4, 6, dtype=torch.bool)
    others[0, 0] = others[2, 3] = False
    assert (m[:, 2, 3] > m[:, others].max(dim=1).values).all()
    # Identical locations get weight ~0, well below the mean of 1.
    assert m[:, others].max() < 1e-3


def test_detached_even_with_grad_inputs():
    t = torch.randn(1, 4, 3, 3, requires_grad=True)
    s = torch.randn(1, 4, 3, 3, requires_grad=True)
    mask = HSMConnector()(t, s)
    assert not mask.requires_grad and mask.grad_fn is None


def test_equal_distances_give_ones_and_no_nan():
    hsm = HSMConnector()
    zeros = torch.zeros(2, 8, 3, 4)
    assert torch.equal(hsm(zeros, zeros), torch.ones(2, 1, 3, 4))
    x = torch.randn(2, 8, 3, 4)
    assert torch.equal(hsm(x, x), torch.ones(2, 1, 3, 4))
    # Same distance everywhere (constant shift of a constant map).
    torch.testing.assert_close(
        hsm(zeros + 1, zeros), torch.ones(2, 1, 3, 4))
    for t, s in ((zeros, x), (x * 1e30, zeros), (x * 1e30, -x * 1e30)):
        assert torch.isfinite(hsm(t, s)).all()


def test_fp32_under_autocast():
    g = torch.Generator().manual_seed(2)
    t = torch.randn(1, 8, 4, 4, generator=g)
    s = torch.randn(1, 8, 4, 4, generator=g)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        mask = HSMConnector()(t.bfloat16(), s.bfloat16())
    assert mask.dtype == torch.float32
    torch.testing.assert_close(
        mask, HSMConnector()(t.bfloat16().float(), s.bfloat16().float()))


def test_levels_in_one_call_equal_level_by_level():
    g = torch.Generator().manual_seed(3)
    shapes = [(6, 10), (3, 5), (2, 3), (1, 1)]
    t = [torch.randn(2, 8, h, w, generator=g) * 2 for h, w in shapes]
    s = [x + torch.randn(x.shape, generator=g) for x in t]
    s[1] = t[1].clone()  # a level with identical features: all ones
    hsm = HSMConnector()
    masks = hsm(t, s)
    assert isinstance(masks, list) and len(masks) == len(shapes)
    for level, (ti, si) in enumerate(zip(t, s)):
        ref = _reference_mask(ti, si, 1.0, None)
        if level == 1:
            ref = torch.ones_like(ref)
        torch.testing.assert_close(masks[level], ref, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(
            masks[level], hsm(ti, si), rtol=1e-4, atol=1e-4)
    stds = [hsm(t, s)[i].flatten(1).std(dim=1).mean() for i in range(4)]
    logged = hsm.log_vars()
    for i in range(3):
        torch.testing.assert_close(logged[f'mask_std{i}'], stds[i])
    assert logged['mask_std3'] == 0  # a 1 x 1 level: all ones
