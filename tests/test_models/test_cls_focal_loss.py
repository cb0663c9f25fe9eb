"""ifkd.SoftmaxFocalLoss against hand-computed values and cross-entropy,
alone and as an mmpretrain LinearClsHead's loss."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmpretrain.structures import DataSample

import ifkd  # noqa: F401
from ifkd.registry import MODELS

# logits (2, 1, 0): softmax = (e^2, e, 1) / (e^2 + e + 1)
#                           = (0.665241, 0.244728, 0.090031)
LOGITS = torch.tensor([[2., 1., 0.]])
# -(1 - p)^2 ln p for each class as the target, gamma = 2, worked by hand:
# class 0: 0.334759^2 * 0.407606 = 0.112064 * 0.407606 = 0.045678
# class 1: 0.755272^2 * 1.407606 = 0.570436 * 1.407606 = 0.802948
# class 2: 0.909969^2 * 2.407606 = 0.828044 * 2.407606 = 1.993605
FOCAL_BY_HAND = (0.045678, 0.802948, 1.993605)


def _loss(**kwargs):
    return MODELS.build(dict(type='ifkd.SoftmaxFocalLoss', **kwargs))


@pytest.mark.parametrize('target', [0, 1, 2])
def test_worked_example(target):
    loss = _loss(gamma=2.0)(LOGITS, torch.tensor([target]))
    assert loss.item() == pytest.approx(FOCAL_BY_HAND[target], abs=2e-6)


def test_gamma_half_by_hand():
    # class 1: sqrt(0.755272) * 1.407606 = 0.869064 * 1.407606 = 1.223299
    loss = _loss(gamma=0.5)(LOGITS, torch.tensor([1]))
    assert loss.item() == pytest.approx(1.223299, abs=2e-6)


def test_gamma_zero_is_cross_entropy():
    torch.manual_seed(0)
    logits = torch.randn(16, 5) * 3
    labels = torch.randint(0, 5, (16, ))
    assert torch.allclose(
        _loss(gamma=0.0)(logits, labels), F.cross_entropy(logits, labels),
        atol=1e-6)
    # and a larger gamma down-weights confident (easy) samples only
    per_ce = F.cross_entropy(logits, labels, reduction='none')
    per_fl = _loss(gamma=2.0, reduction='none')(logits, labels)
    p_t = torch.exp(-per_ce)
    assert torch.allclose(per_fl, (1 - p_t)**2 * per_ce, atol=1e-6)
    assert (per_fl <= per_ce + 1e-7).all()


def test_alpha_weights_by_class():
    # 0.25 * 0.045678 (class 0) and 4.0 * 1.993605 (class 2), mean of two
    logits = LOGITS.repeat(2, 1)
    loss = _loss(gamma=2.0, alpha=[0.25, 1.0, 4.0])(logits,
                                                     torch.tensor([0, 2]))
    expected = (0.25 * 0.045678 + 4.0 * 1.993605) / 2
    assert loss.item() == pytest.approx(expected, abs=1e-5)


def test_one_hot_and_soft_labels():
    soft = torch.tensor([[0.3, 0.7, 0.0]])
    loss = _loss(gamma=2.0)(LOGITS, soft)
    expected = 0.3 * FOCAL_BY_HAND[0] + 0.7 * FOCAL_BY_HAND[1]
    assert loss.item() == pytest.approx(expected, abs=2e-6)
    for one_hot in (torch.tensor([[0., 0., 1.]]), torch.tensor([[0, 0, 1]])):
        assert _loss()(LOGITS, one_hot).item() == pytest.approx(
            FOCAL_BY_HAND[2], abs=2e-6)
    # (N, 1) indices read as (N,)
    assert _loss()(LOGITS, torch.tensor([[2]])).item() == pytest.approx(
        FOCAL_BY_HAND[2], abs=2e-6)


def test_weight_reduction_avg_factor_and_loss_weight():
    logits = LOGITS.repeat(3, 1)
    labels = torch.tensor([0, 1, 2])
    weight = torch.tensor([1.0, 0.0, 2.0])
    by_hand = [FOCAL_BY_HAND[0], 0.0, 2 * FOCAL_BY_HAND[2]]
    fl = _loss(gamma=2.0, loss_weight=0.5)
    none = fl(logits, labels, weight=weight, reduction_override='none')
    assert torch.allclose(none, 0.5 * torch.tensor(by_hand), atol=1e-5)
    assert fl(logits, labels, weight=weight,
              reduction_override='sum').item() == pytest.approx(
                  0.5 * sum(by_hand), abs=1e-5)
    assert fl(logits, labels, weight=weight,
              avg_factor=4).item() == pytest.approx(
                  0.5 * sum(by_hand) / 4, abs=1e-5)


def test_gradient_matches_finite_differences():
    logits = torch.tensor([[0.3, -1.2, 2.0]], dtype=torch.float64,
                          requires_grad=True)
    fl = _loss(gamma=2.0, alpha=[1.0, 2.0, 0.5])
    fl(logits.float(), torch.tensor([1])).backward()

    def f(z):
        p = [math.exp(v) for v in z]
        p1 = p[1] / sum(p)
        return -2.0 * (1 - p1)**2 * math.log(p1)

    z = logits.detach().tolist()[0]
    for i in range(3):
        hi, lo = list(z), list(z)
        hi[i] += 1e-5
        lo[i] -= 1e-5
        numeric = (f(hi) - f(lo)) / 2e-5
        assert logits.grad[0, i].item() == pytest.approx(numeric, abs=1e-4)


def test_as_linear_cls_head_loss_equals_cross_entropy_at_gamma_zero():
    torch.manual_seed(0)
    feats = (torch.randn(6, 8), )
    samples = [DataSample().set_gt_label(i % 3) for i in range(6)]
    heads = [
        PRETRAIN_MODELS.build(
            dict(type='LinearClsHead', num_classes=3, in_channels=8,
                 loss=loss)) for loss in (
                     dict(type='ifkd.SoftmaxFocalLoss', gamma=0.0),
                     dict(type='CrossEntropyLoss'))
    ]
    heads[1].load_state_dict(heads[0].state_dict())
    focal, ce = (h.loss(feats, samples)['loss'] for h in heads)
    assert torch.allclose(focal, ce, atol=1e-6)
    # gamma 2 through the head: the per-sample formula, averaged over N
    heads[0].loss_module.gamma = 2.0
    logits = heads[0](feats)
    labels = torch.tensor([i % 3 for i in range(6)])
    ce_i = F.cross_entropy(logits, labels, reduction='none')
    expected = ((1 - torch.exp(-ce_i))**2 * ce_i).mean()
    assert torch.allclose(heads[0].loss(feats, samples)['loss'], expected,
                          atol=1e-6)


def test_bad_inputs_fail_with_the_fix():
    with pytest.raises(ValueError, match='one alpha per class'):
        _loss(alpha=[1.0, 2.0])(LOGITS, torch.tensor([0]))
    with pytest.raises(ValueError, match="head's num_classes"):
        _loss()(LOGITS, torch.tensor([3]))
    with pytest.raises(ValueError, match='gamma must be >= 0'):
        _loss(gamma=-1.0)
