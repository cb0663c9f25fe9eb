"""PooledConvConnector against a strided convolution with shared weights
and a numpy computation."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ifkd.registry import MODELS


def _build(pool, **kwargs):
    cfg = dict(type='ifkd.PooledConvConnector', pool=pool, in_channel=3,
               out_channel=5, norm_cfg=None, act_cfg=None)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_equals_a_strided_conv_with_weights_shared_over_the_window():
    torch.manual_seed(0)
    conn = _build(pool=4)
    x = torch.randn(2, 3, 8, 12)
    conv = conn.conv_module.conv
    # the same map as a 4x4 conv of stride 4 whose 16 taps are W / 16
    weight = conv.weight.expand(-1, -1, 4, 4) / 16
    ref = F.conv2d(x, weight, conv.bias, stride=4)
    out = conn(x)
    assert out.shape == (2, 5, 2, 3)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    # and by hand in numpy: block means, then the channel mixing
    xn = x.numpy().reshape(2, 3, 2, 4, 3, 4).mean(axis=(3, 5))
    w = conv.weight.detach().numpy()[:, :, 0, 0]
    expect = np.einsum('oc,bchw->bohw', w, xn) + \
        conv.bias.detach().numpy()[None, :, None, None]
    np.testing.assert_allclose(out.detach().numpy(), expect, rtol=1e-5,
                               atol=1e-5)


def test_pool_one_is_the_plain_connector_and_gradients_reach_the_student():
    torch.manual_seed(0)
    conn = _build(pool=1, act_cfg=dict(type='ReLU'))
    x = torch.randn(1, 3, 4, 4, requires_grad=True)
    conv = conn.conv_module.conv
    torch.testing.assert_close(
        conn(x), F.relu(F.conv2d(x, conv.weight, conv.bias)))
    pooled = _build(pool=2)
    pooled(x).sum().backward()
    # every student location of a window gets a quarter of its gradient
    g = x.grad[0, :, :2, :2]
    assert torch.allclose(g, g[:, :1, :1].expand_as(g))
    expect = pooled.conv_module.conv.weight[:, :, 0, 0].sum(0) / 4
    torch.testing.assert_close(g[:, 0, 0], expect.detach())


@pytest.mark.parametrize('pool', [0, 2.5, -1])
def test_bad_pool_is_refused(pool):
    with pytest.raises(ValueError, match='pool must be a positive integer'):
        _build(pool=pool)
