import math

import pytest
import torch

import ifkd  # noqa: F401  (applies the compat patches first)
from ifkd.models.losses import IFKDFeatLoss, IFKDHeadLoss
from ifkd.registry import MODELS

# 1 x 2 x 1 x 2 student / teacher: per-location squared errors summed over
# channels are (1 + 4, 0 + 9) = (5, 9).
S = [[[[1.0, 2.0]], [[3.0, 4.0]]]]
T = [[[[0.0, 2.0]], [[1.0, 1.0]]]]
MASK = [[[[0.5, 2.0]]]]


def _pair():
    s = torch.tensor(S, requires_grad=True)
    t = torch.tensor(T, requires_grad=True)
    return s, t


def test_feat_loss_hand_values():
    s, t = _pair()
    assert IFKDFeatLoss(loss_weight=1.0)(s, t).item() == pytest.approx(
        (5 + 9) / 2)
    loss = IFKDFeatLoss()(s, t, torch.tensor(MASK))
    assert loss.item() == pytest.approx(0.06 * (0.5 * 5 + 2 * 9) / 2.5)
    loss.backward()
    # d/dS = w * 2 M (S - T) / sum(M); the target gets the opposite, so
    # FDR's filter behind it can learn.
    expected = 0.06 * 2 * torch.tensor(
        [[[[0.5 * 1, 2.0 * 0]], [[0.5 * 2, 2.0 * 3]]]]) / 2.5
    torch.testing.assert_close(s.grad, expected)
    torch.testing.assert_close(t.grad, -expected)


def test_feat_loss_normalises_by_mask_sum_over_batch():
    s = torch.zeros(2, 3, 2, 2)
    t = torch.ones(2, 3, 2, 2)  # every location costs 3
    mask = torch.zeros(2, 1, 2, 2)
    mask[0, 0, 0, 0], mask[1, 0, 1, 1] = 1.0, 3.0
    loss = IFKDFeatLoss(loss_weight=1.0)(s, t, mask)
    assert loss.item() == pytest.approx((1 * 3 + 3 * 3) / 4)
    # An all-zero mask gives 0, not nan.
    assert IFKDFeatLoss()(s, t, torch.zeros_like(mask)).item() == 0


def _manual_bce(s, t):
    p = 1 / (1 + math.exp(-t))
    q = 1 / (1 + math.exp(-s))
    return -(p * math.log(q) + (1 - p) * math.log(1 - q))


def test_head_loss_hand_values():
    s, t = _pair()
    per_loc = [
        _manual_bce(S[0][0][0][j], T[0][0][0][j]) +
        _manual_bce(S[0][1][0][j], T[0][1][0][j]) for j in range(2)
    ]
    loss = IFKDHeadLoss(loss_weight=1.0)(s, t)
    assert loss.item() == pytest.approx(sum(per_loc) / 2, rel=1e-6)
    loss = IFKDHeadLoss()(s, t, torch.tensor(MASK))
    assert loss.item() == pytest.approx(
        0.5 * (0.5 * per_loc[0] + 2 * per_loc[1]) / 2.5, rel=1e-6)
    loss.backward()
    assert t.grad is None
    # d/dS BCE(sigmoid(S), p) = sigmoid(S) - p
    expected = 0.5 * (torch.tensor(S).sigmoid() - torch.tensor(T).sigmoid()
                      ) * torch.tensor(MASK) / 2.5
    torch.testing.assert_close(s.grad, expected)


def test_head_loss_amp_safe_for_saturated_logits():
    s = torch.tensor([[[[40.0, -40.0]]]]).half().requires_grad_()
    t = torch.tensor([[[[-40.0, 40.0]]]]).half()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = IFKDHeadLoss(loss_weight=1.0)(s, t)
    assert loss.dtype == torch.float32
    # BCE ~ |logit| when the prediction is confidently wrong.
    assert loss.item() == pytest.approx(40.0, rel=1e-3)
    loss.backward()
    assert torch.isfinite(s.grad).all()


def test_registered():
    assert isinstance(MODELS.build(dict(type='IFKDFeatLoss')), IFKDFeatLoss)
    head = MODELS.build(dict(type='IFKDHeadLoss', loss_weight=2.0))
    assert head.loss_weight == 2.0
