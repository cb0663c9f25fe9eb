import math

import geoopt
import torch
from geoopt.manifolds.stereographic.math import project

import ifkd  # noqa: F401  (applies the compat patches first)
from ifkd.models.connectors import HSMConnector


def _reference_mask(t, s, c, scale):
    """Per-location geoopt distances (fp64), normalised to mean 1 per image.

    The projection uses the fp32 margin 4e-3 that the fp32 module uses.
    """
    ball = geoopt.manifolds.PoincareBall(
        c=torch.tensor(c, dtype=torch.float64))
    k = -torch.tensor(c, dtype=torch.float64)
    to_ball = [
        project(ball.expmap0(scale * x.double(), dim=1, project=False),
                k=k, dim=1, eps=4e-3) for x in (t, s)
    ]
    d = ball.dist(*to_ball, dim=1, keepdim=True)
    return (d / d.mean(dim=(2, 3), keepdim=True)).float()


def test_matches_geoopt_reference():
    g = torch.Generator().manual_seed(0)
    t = torch.randn(2, 16, 5, 7, generator=g) * 2
    s = t + torch.randn(2, 16, 5, 7, generator=g)
    for c, scale in ((1.0, None), (0.5, 0.1)):
        mask = HSMConnector(curvature=c, scale=scale)(t, s)
        ref = _reference_mask(t, s, c, scale or 1 / math.sqrt(16))
        assert mask.shape == (2, 1, 5, 7)
        torch.testing.assert_close(mask, ref, rtol=1e-4, atol=1e-4)


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
        ref = _reference_mask(ti, si, 1.0, 1 / math.sqrt(8))
        if level == 1:
            ref = torch.ones_like(ref)
        torch.testing.assert_close(masks[level], ref, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(
            masks[level], hsm(ti, si), rtol=1e-4, atol=1e-4)
