import math

import geoopt
import pytest
import torch

import ifkd  # noqa: F401  (applies the compat patches first)
from ifkd.models.utils.poincare import dist, expmap0, mobius_add, project


def _ball_points(shape, c, dtype, dim=1, max_norm=0.9, seed=0):
    """Random points of norm < max_norm / sqrt(c) along ``dim``."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=dtype)
    radius = torch.rand(
        [s if i != dim else 1 for i, s in enumerate(shape)],
        generator=g, dtype=dtype) * max_norm / math.sqrt(c)
    return x / x.norm(dim=dim, keepdim=True) * radius


@pytest.mark.parametrize('c', [1.0, 0.3, 2.5])
@pytest.mark.parametrize('dtype,tol', [(torch.float64, 1e-9),
                                       (torch.float32, 2e-4)])
def test_against_geoopt(c, dtype, tol):
    # geoopt stores c through a softplus round trip (and squares it in its
    # own dtype): build it in the test dtype and use exactly its c.
    ball = geoopt.manifolds.PoincareBall(c=torch.tensor(c, dtype=dtype))
    c = ball.c.item()
    x = _ball_points((2, 8, 3, 5), c, dtype, seed=1)
    y = _ball_points((2, 8, 3, 5), c, dtype, seed=2)
    torch.testing.assert_close(
        mobius_add(x, y, c, dim=1), ball.mobius_add(x, y, dim=1),
        rtol=tol, atol=tol)
    torch.testing.assert_close(
        dist(x, y, c, dim=1), ball.dist(x, y, dim=1, keepdim=True),
        rtol=tol, atol=tol)
    v = torch.randn(2, 8, 3, 5, dtype=dtype)
    torch.testing.assert_close(
        expmap0(v, c, dim=1), ball.expmap0(v, dim=1, project=False),
        rtol=tol, atol=tol)
    # geoopt projects after expmap0 by default, with the same margins.
    torch.testing.assert_close(
        project(expmap0(3 * v, c, dim=1), c, dim=1),
        ball.expmap0(3 * v, dim=1), rtol=tol, atol=tol)
    big = 10 * torch.randn(2, 8, 3, 5, dtype=dtype)
    torch.testing.assert_close(
        project(big, c, dim=1), ball.projx(big, dim=1), rtol=tol, atol=tol)


def test_dim_argument_matches_geoopt_last_dim():
    ball = geoopt.manifolds.PoincareBall(c=1.0)
    x = _ball_points((4, 6), 1.0, torch.float64, dim=-1, seed=3)
    y = _ball_points((4, 6), 1.0, torch.float64, dim=-1, seed=4)
    torch.testing.assert_close(
        dist(x, y, 1.0, dim=-1), ball.dist(x, y, keepdim=True))


@pytest.mark.parametrize('c,x,y', [(1.0, 0.3, -0.5), (2.0, 0.3, -0.5),
                                   (0.5, 1.2, 0.7)])
def test_one_dimensional_hand_case(c, x, y):
    # In 1-D, (-x) (+)_c y = (y - x) / (1 - c x y).
    expected = 2 / math.sqrt(c) * math.atanh(
        math.sqrt(c) * abs(y - x) / (1 - c * x * y))
    got = dist(torch.tensor([[x]]), torch.tensor([[y]]), c)
    assert got.item() == pytest.approx(expected, rel=1e-5)
    if (c, x, y) == (1.0, 0.3, -0.5):
        assert expected == pytest.approx(2 * math.atanh(0.8 / 1.15))


def test_symmetric_and_zero_on_identical():
    x = _ball_points((3, 16, 4, 4), 1.0, torch.float32, seed=5)
    y = _ball_points((3, 16, 4, 4), 1.0, torch.float32, seed=6)
    torch.testing.assert_close(dist(x, y), dist(y, x), rtol=1e-5, atol=1e-5)
    assert dist(x, x).abs().max() < 1e-5
    assert (dist(x, y) > 0.01).all()


@pytest.mark.parametrize('value', [0.0, 1e4, 1e30, 3e38, -3e38])
def test_finite_for_extreme_inputs(value):
    x = torch.full((2, 8, 3, 3), value, requires_grad=True)
    y = torch.zeros(2, 8, 3, 3, requires_grad=True)
    ball_x = project(expmap0(x))
    for d in (dist(ball_x, y), dist(x, y), dist(x, x), dist(y, y)):
        assert torch.isfinite(d).all()
    assert (project(x).norm(dim=1) < 1).all()
    # Gradients are finite too (zeros and identical inputs included).
    (dist(ball_x, y).sum() + dist(y, y).sum() + dist(x, x).sum()).backward()
    assert torch.isfinite(x.grad).all() and torch.isfinite(y.grad).all()


def test_far_points_saturate_not_overflow():
    x = torch.full((1, 4, 1, 1), 1e30)
    d = dist(project(expmap0(-x)), project(expmap0(x)))
    # Both sit at the projection radius 1 - 4e-3 on opposite sides.
    r = 1 - 4e-3
    # (fp32 leaves 1 - z ~ 8e-6 only a few bits, hence the tolerance.)
    assert d.item() == pytest.approx(
        2 * math.atanh(2 * r / (1 + r * r)), rel=3e-3)


def test_low_precision_inputs_are_computed_in_fp32():
    x = _ball_points((2, 8, 3, 3), 1.0, torch.float32, seed=7)
    y = _ball_points((2, 8, 3, 3), 1.0, torch.float32, seed=8)
    for dtype in (torch.float16, torch.bfloat16):
        xl, yl = x.to(dtype), y.to(dtype)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            d = dist(xl, yl)
        assert d.dtype == torch.float32
        torch.testing.assert_close(d, dist(xl.float(), yl.float()))
