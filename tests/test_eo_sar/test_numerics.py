"""Hand-computed and scikit-learn references for the EO-SAR losses,
scores, metric and cluster voting."""
import math

import numpy as np
import pytest
import torch

from ifkd.engine.inference import (cluster_by_features, cluster_by_id_gap,
                                   energy, ood_scores, vote)
from ifkd.evaluation.ood_metric import auroc, ood_metrics
from ifkd.models.losses import SortedFeatureMSELoss, SymmetricInfoNCELoss


def test_energy_matches_hand_computed_values():
    logits = torch.tensor([[1., 2., 3.], [0., 0., 0.]])
    want = [-math.log(math.e + math.e**2 + math.e**3), -math.log(3)]
    assert energy(logits).tolist() == pytest.approx(want, abs=1e-6)
    # T = 2: -2 log(e^0.5 + e^1 + e^1.5)
    want_t2 = -2 * math.log(math.exp(.5) + math.exp(1) + math.exp(1.5))
    assert float(energy(logits[:1], 2.)) == pytest.approx(want_t2, abs=1e-6)
    with pytest.raises(ValueError, match='temperature'):
        energy(logits, 0.)


def test_ood_scores_average_views():
    # one chip, two views
    view_logits = torch.tensor([[[2., 0.], [0., 0.]]])
    scores = ood_scores(view_logits)
    e1 = -math.log(math.exp(2) + 1)
    e2 = -math.log(2)
    assert float(scores['energy']) == pytest.approx(-(e1 + e2) / 2)
    p1 = math.exp(2) / (math.exp(2) + 1)
    assert float(scores['max_softmax']) == pytest.approx((p1 + 0.5) / 2)


def test_kl_times_tau_squared_matches_hand_computed_value():
    """The distillation configs' mmrazor KLDivergence is
    tau^2 * KL(softmax(t / tau) || softmax(s / tau)), batch mean."""
    from mmrazor.models.losses import KLDivergence
    s = torch.tensor([[2., 0.], [0., 1.]])
    t = torch.tensor([[0., 2.], [0., 1.]])
    tau = 2.
    total = 0.
    for si, ti in zip(s.tolist(), t.tolist()):
        zs = [math.exp(v / tau) for v in si]
        zt = [math.exp(v / tau) for v in ti]
        ps = [z / sum(zs) for z in zs]
        pt = [z / sum(zt) for z in zt]
        total += sum(a * math.log(a / b) for a, b in zip(pt, ps))
    want = tau**2 * total / 2
    got = KLDivergence(tau=tau)(s, t)
    assert float(got) == pytest.approx(want, rel=1e-5)


def test_symmetric_infonce_matches_hand_computed_value():
    s = torch.tensor([[2., 0.], [0., 3.]])  # normalised: e1, e2
    t = torch.tensor([[1., 0.], [0.6, 0.8]])
    tau = 0.5
    sim = [[1., 0.6], [0., 0.8]]  # s_i . t_j

    def ce(row, i):
        z = [v / tau for v in row]
        return -(z[i] - math.log(sum(math.exp(v) for v in z)))

    rows = ce(sim[0], 0) + ce(sim[1], 1)
    cols = ce([sim[0][0], sim[1][0]], 0) + ce([sim[0][1], sim[1][1]], 1)
    want = (rows / 2 + cols / 2) / 2
    loss = SymmetricInfoNCELoss(temperature=tau, loss_weight=2.)
    assert float(loss(s, t)) == pytest.approx(2 * want, rel=1e-5)
    # feature maps are average-pooled first
    maps = s[:, :, None, None].expand(2, 2, 3, 3)
    assert float(loss(maps, t)) == pytest.approx(2 * want, rel=1e-5)


def test_sorted_feature_mse_matches_hand_computed_value():
    s = torch.tensor([[3., 1., 2.]])
    t = torch.tensor([[0., 5., 1.]])
    # sorted: (1, 2, 3) vs (0, 1, 5) -> (1 + 1 + 4) / 3
    assert float(SortedFeatureMSELoss()(s, t)) == pytest.approx(2.)
    with pytest.raises(ValueError, match='connector'):
        SortedFeatureMSELoss()(s, torch.zeros(1, 4))


def test_auroc_matches_scikit_learn():
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(0)
    for _ in range(5):
        positive = rng.random(60) < 0.7
        scores = np.round(rng.normal(positive * 0.8, 1.), 1)  # with ties
        assert auroc(scores, positive) == pytest.approx(
            roc_auc_score(positive, scores), abs=1e-12)
    with pytest.raises(ValueError, match='both classes'):
        auroc(np.ones(3), np.ones(3, bool))


def test_ood_metrics_on_a_constructed_case():
    classes = ('a', 'b', 'c')
    gt = np.array([0, 0, 1, 2, -1, -1])
    pred = np.array([0, 1, 1, 0, 2, 0])
    energy_score = np.array([5., 4., 3., 2., 1., 0.])  # perfect ranking
    msp = np.array([.9, .2, .8, .7, .95, .1])  # one OOD above all but .95
    m = ood_metrics(gt, pred, dict(energy=energy_score, max_softmax=msp),
                    classes, 'energy')
    assert m['accuracy'] == pytest.approx(50.)
    assert m['accuracy/a'] == pytest.approx(50.)
    assert m['accuracy/b'] == pytest.approx(100.)
    assert m['accuracy/c'] == pytest.approx(0.)
    assert m['mean_class_accuracy'] == pytest.approx(50.)
    assert m['auroc/energy'] == pytest.approx(100.)
    # pairs (in, ood): .95 beats all 4 in; .1 loses to all 4 -> 4 / 8
    assert m['auroc/max_softmax'] == pytest.approx(50.)
    assert m['challenge_score'] == pytest.approx(0.75 * 50 + 0.25 * 100)
    assert m['challenge/max_softmax'] == pytest.approx(0.75 * 50 + 0.25 * 50)
    with pytest.raises(ValueError, match='num_classes'):
        ood_metrics(np.array([3]), np.array([0]), {}, classes)


def test_cluster_voting_on_a_constructed_case():
    # Three objects: features near e1, e2, e3 (a little noise).
    rng = np.random.default_rng(0)
    centres = np.eye(3) * 5
    groups_true = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2])
    feats = centres[groups_true] + rng.normal(0, 0.05, (9, 3))
    groups = cluster_by_features(feats, 'average', threshold=0.1)
    # same partition as the truth (labels may be renumbered)
    assert len(set(zip(groups, groups_true))) == 3
    assert len(set(groups)) == 3
    labels = np.array([1, 1, 2, 1, 0, 2, 2, 0, 1])
    conf = np.array([.99, .97, .96, .5, .5, .98, .4, .5, .6])
    out = vote(labels, conf, groups, min_confidence=0.95, num_classes=3)
    # group 0: votes 1, 1, 2 -> 1; group 1: one vote (2) -> 2; group 2: no
    # confident member -> unchanged
    assert out.tolist() == [1, 1, 1, 1, 2, 2, 2, 0, 1]
    # a tie (one vote each) goes to the larger confidence
    tie = vote(np.array([0, 1]), np.array([.96, .99]), np.array([0, 0]))
    assert tie.tolist() == [1, 1]
    with pytest.raises(ValueError, match='id-gap'):
        cluster_by_features(feats, 'ward')


def test_id_gap_groups_as_the_seed():
    ids = [1050, 1000, 1100, 1201, 1290, 5000]
    # sorted: 1000 1050 1100 | 1201 1290 | 5000 (gaps 50 50 101 89 3710)
    assert cluster_by_id_gap(ids, gap=100).tolist() == [0, 0, 0, 1, 1, 2]
    assert cluster_by_id_gap(ids, gap=101).tolist() == [0, 0, 0, 0, 0, 1]


def test_loss_weight_schedule_is_piecewise_constant():
    from ifkd.engine.hooks import DistillLossWeightHook
    hook = DistillLossWeightHook(dict(loss_nce={0: 0.8, 10: 0.5}))
    assert [hook.weight('loss_nce', e) for e in (0, 9, 10, 30)] == \
        [0.8, 0.8, 0.5, 0.5]
    with pytest.raises(ValueError, match='epoch 0'):
        DistillLossWeightHook(dict(loss_nce={5: 0.5}))


def test_metric_reads_data_samples_and_names_missing_scores():
    from mmpretrain.structures import DataSample
    from ifkd.evaluation import OODClassificationMetric

    def sample(gt, probs, energy_score=None):
        s = DataSample().set_gt_label(gt).set_pred_score(
            torch.tensor(probs))
        if energy_score is not None:
            s.set_field(dict(energy=energy_score), 'ood_scores')
        return s.to_dict()

    metric = OODClassificationMetric(classes=('a', 'b'))
    batch = [sample(0, [.9, .1], 3.), sample(1, [.4, .6], 2.),
             sample(-1, [.5, .5], 1.)]
    metric.process(None, batch)
    m = metric.compute_metrics(metric.results)
    assert m['accuracy'] == pytest.approx(100.)
    assert m['auroc/energy'] == pytest.approx(100.)
    assert m['auroc/max_softmax'] == pytest.approx(100.)  # .9, .6 > .5
    assert m['challenge_score'] == pytest.approx(100.)
    plain = OODClassificationMetric(classes=('a', 'b'))
    plain.process(None, [sample(0, [.9, .1]), sample(-1, [.5, .5])])
    with pytest.raises(KeyError, match='max_softmax'):
        plain.compute_metrics(plain.results)
    blind = DataSample().set_pred_score(torch.tensor([.5, .5])).to_dict()
    with pytest.raises(ValueError, match='labels_file'):
        plain.process(None, [blind])
