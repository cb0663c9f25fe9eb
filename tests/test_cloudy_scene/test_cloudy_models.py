"""Regulation weights, OGM-GE coefficients, the pseudo-label filter, the
two-branch classifier's modality separation and the teacher mixture,
against hand-computed values."""
import math

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmpretrain.structures import DataSample

from ifkd.models.algorithms.multi_teacher_cross_modal import ProbabilityMixer
from ifkd.models.fusion import OGMGE, SampleModalityRegulation
from ifkd.models.losses import PseudoLabelKDLoss
from ifkd.registry import MODELS


def test_sample_regulation_hand_values():
    conf = dict(opt=torch.tensor([0.8, 0.2, 0.5]),
                sar=torch.tensor([0.4, 0.4, 0.5]))
    k = SampleModalityRegulation(alpha=0.5).coefficients(conf)
    # sample 0: rho_opt = 2 -> 1 - tanh(0.5); sample 1: rho_sar = 2
    np.testing.assert_allclose(k['opt'], [1 - math.tanh(0.5), 1, 1],
                               rtol=1e-6)
    np.testing.assert_allclose(k['sar'], [1, 1 - math.tanh(0.5), 1],
                               rtol=1e-6)


def test_sample_regulation_scales_each_samples_gradient():
    feats = dict(opt=torch.ones(2, 3, requires_grad=True),
                 sar=torch.ones(2, 3, requires_grad=True))
    # logits whose softmax on class 0 is 0.8 / 0.2 (opt), 0.4 / 0.4 (sar)
    def logits(p):
        return torch.log(torch.tensor([[q, 1 - q] for q in p]))
    branch = dict(opt=logits([0.8, 0.2]), sar=logits([0.4, 0.4]))
    reg = SampleModalityRegulation(alpha=1.0)
    k = reg.apply(branch, torch.tensor([0, 0]), feats, None)
    (feats['opt'].sum() + feats['sar'].sum()).backward()
    np.testing.assert_allclose(feats['opt'].grad[:, 0],
                               [1 - math.tanh(1.0), 1], rtol=1e-6)
    np.testing.assert_allclose(feats['sar'].grad[:, 0],
                               [1, 1 - math.tanh(1.0)], rtol=1e-6)
    hub = MessageHub.get_current_instance()
    # optical share of confidence: mean(0.8/1.2, 0.2/0.6)
    assert hub.get_scalar('train/contrib_opt').current() == pytest.approx(
        (0.8 / 1.2 + 0.2 / 0.6) / 2, rel=1e-5)
    assert torch.equal(k['opt'], feats['opt'].grad[:, 0])


def test_ogm_ge_hand_values():
    conf = dict(opt=torch.tensor([0.6, 0.4]), sar=torch.tensor([0.5, 0.3]))
    k = OGMGE(alpha=0.5).coefficients(conf)
    rho = 1.0 / 0.8  # batch sums
    assert float(k['opt']) == pytest.approx(1 - math.tanh(0.5 * rho))
    assert float(k['sar']) == 1.0
    g = torch.tensor([[1., -2.], [3., 4.]])
    plain = OGMGE(noise=False).modulate(g, torch.tensor(0.25))
    assert torch.equal(plain, g * 0.25)
    torch.manual_seed(0)
    big = g.expand(64, 64, 2, 2).contiguous()
    residual = OGMGE().modulate(big, torch.tensor(0.25)) - 0.25 * big
    # GE: Gaussian noise with the gradient's own std
    assert residual.mean().item() == pytest.approx(0., abs=0.05)
    assert residual.std().item() == pytest.approx(big.std().item(), rel=0.03)


def _two_branch(regulation=None):
    cfg = dict(
        type='ifkd.TwoBranchClassifier',
        branches=dict(
            opt=dict(in_channels=3,
                     backbone=dict(type='ifkd.ShipCNN', in_channels=3,
                                   channels=(4, ), out_indices=(0, )),
                     neck=dict(type='GlobalAveragePooling')),
            sar=dict(in_channels=2,
                     backbone=dict(type='ifkd.ShipCNN', in_channels=2,
                                   channels=(4, ), out_indices=(0, )),
                     neck=dict(type='GlobalAveragePooling'))),
        head=dict(type='ifkd.LateFusionHead', num_classes=3,
                  in_channels=dict(opt=4, sar=4)),
        regulation=regulation)
    return MODELS.build(cfg)


def test_sar_branch_never_sees_optical():
    torch.manual_seed(0)
    model = _two_branch().eval()
    seen = []
    model.branches.sar.backbone.register_forward_hook(
        lambda m, args, out: seen.append(args[0]))
    sar = torch.randn(2, 2, 8, 8)
    a = model.branch_logits(torch.cat([torch.randn(2, 3, 8, 8), sar], 1))
    b = model.branch_logits(torch.cat([torch.full((2, 3, 8, 8), 1e3), sar],
                                      1))
    assert torch.equal(seen[0], sar) and torch.equal(seen[1], sar)
    assert torch.equal(a['sar'], b['sar']) and not torch.equal(
        a['opt'], b['opt'])
    fused = model(torch.cat([torch.zeros(2, 3, 8, 8), sar], 1))
    parts = model.head.branch_logits
    assert torch.allclose(fused, parts['opt'] + parts['sar'])
    with pytest.raises(ValueError, match='takes|take'):
        model(torch.randn(2, 4, 8, 8))
    with pytest.raises(KeyError, match="no \\['sar'\\] modality"):
        model(dict(opt=torch.randn(2, 3, 8, 8)))


def test_regulation_uses_pseudo_label_over_label():
    model = _two_branch(dict(type='ifkd.SampleModalityRegulation'))
    samples = [DataSample().set_gt_label(0) for _ in range(2)]
    for s, y in zip(samples, (1, 2)):
        s.set_field(torch.tensor([y]), 'pseudo_label')
    assert model._regulation_target(samples).tolist() == [1, 2]
    del samples[0].pseudo_label, samples[1].pseudo_label
    assert model._regulation_target(samples).tolist() == [0, 0]


def test_pseudo_label_filter_constructed_case():
    t = torch.log(torch.tensor([[0.9, 0.05, 0.05], [0.5, 0.3, 0.2],
                                [0.02, 0.95, 0.03]]))
    s = torch.tensor([[1., 0., 0.], [0., 1., 0.], [0.5, 0., 1.]])
    loss = PseudoLabelKDLoss(tau=2.0, threshold=0.8, log_name='t')(s, t)
    assert MessageHub.get_current_instance().get_scalar(
        'train/t_kept').current() == pytest.approx(2 / 3)
    # numpy reference on the kept samples 0 and 2
    def softmax(x):
        e = np.exp(x - x.max())
        return e / e.sum()
    total = 0.
    for i in (0, 2):
        pt, ps = softmax(t[i].numpy() / 2), softmax(s[i].numpy() / 2)
        soft = 4 * np.sum(pt * (np.log(pt) - np.log(ps)))
        hard = -np.log(softmax(s[i].numpy())[int(t[i].argmax())])
        total += soft + hard
    assert float(loss) == pytest.approx(total / 2, rel=1e-5)
    none = PseudoLabelKDLoss(threshold=0.99)(s.requires_grad_(), t)
    assert float(none) == 0. and none.requires_grad
    with pytest.raises(ValueError, match='threshold'):
        PseudoLabelKDLoss(threshold=1.0)


def test_probability_mixer():
    a = torch.tensor([[2., 0.]])
    b = torch.tensor([[0., 1.]])
    mix = ProbabilityMixer()([a, b]).exp()
    want = (a.softmax(1) + b.softmax(1)) / 2
    assert torch.allclose(mix, want)
