"""Losses and the building metric against hand-computed values (and
scikit-learn for the pixel scores)."""
import math

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, jaccard_score

from ifkd.evaluation.building_metric import BuildingMetric, buildings
from ifkd.models.losses import (MulticlassDiceLoss, PixelKDLoss,
                                PseudoLabelSegLoss)


def _logits():
    # One image, 2 classes, 1 x 2 pixels: p(building) = 0.5 and 0.8808.
    return torch.tensor([[[[0., 0.]], [[0., 2.]]]])


def test_dice_matches_hand_value():
    p1 = 1 / (1 + math.exp(-2))  # softmax of (0, 2)
    target = torch.tensor([[[0, 1]]])
    # class 0: p = (0.5, 1 - p1), y = (1, 0); class 1: p = (0.5, p1), y = (0, 1)
    d0 = 2 * 0.5 / (0.5 + (1 - p1) + 1)
    d1 = 2 * p1 / (0.5 + p1 + 1)
    loss = MulticlassDiceLoss()(_logits(), target)
    assert loss.item() == pytest.approx(((1 - d0) + (1 - d1)) / 2, rel=1e-6)
    # A class absent from the labels adds 0 (smp's mask), not 1 - dice.
    only0 = torch.tensor([[[0, 0]]])
    d0 = 2 * (0.5 + 1 - p1) / (0.5 + 1 - p1 + 2)
    assert MulticlassDiceLoss()(_logits(), only0).item() == pytest.approx(
        (1 - d0) / 2, rel=1e-6)
    # Ignored pixels drop out of both sums.
    ign = torch.tensor([[[0, 255]]])
    d0 = 2 * 0.5 / (0.5 + 1)
    assert MulticlassDiceLoss()(_logits(), ign).item() == pytest.approx(
        (1 - d0) / 2, rel=1e-6)


def test_pixel_kd_normalisations():
    s = torch.tensor([[[[0., 1.]], [[1., 0.]]]]).repeat(2, 1, 1, 1)
    t = torch.tensor([[[[0., 0.]], [[0., 2.]]]]).repeat(2, 1, 1, 1)
    p1 = 1 / (1 + math.exp(-2))
    l_a = math.log(1 + math.e)  # -log softmax, 1 nat apart
    # pixel 0: T = (.5, .5), S log-probs (-l_a, 1 - l_a)
    c0 = 0.5 * l_a + 0.5 * (l_a - 1)
    # pixel 1: T = (1 - p1, p1), S log-probs (1 - l_a, -l_a)
    c1 = (1 - p1) * (l_a - 1) + p1 * l_a
    pixel = PixelKDLoss()(s, t).item()
    assert pixel == pytest.approx((c0 + c1) / 2, rel=1e-6)
    # The seed's CriterionPixelWise: the sum over N*H*W (two images of
    # these two pixels) divided by H*W = 2.
    assert PixelKDLoss(normalize='seed')(s, t).item() == pytest.approx(
        2 * (c0 + c1) / 2, rel=1e-6)
    mask = torch.tensor([[[[1., 0.]]], [[[1., 0.]]]])
    assert PixelKDLoss()(s, t, mask).item() == pytest.approx(c0, rel=1e-6)
    # The student gets the gradient, the teacher none.
    s.requires_grad_(True)
    t.requires_grad_(True)
    PixelKDLoss()(s, t).backward()
    assert s.grad.abs().sum() > 0 and t.grad is None


def test_pseudo_label_loss_is_seg_loss_on_teacher_argmax():
    torch.manual_seed(0)
    s, t = torch.randn(2, 2, 4, 4), torch.randn(2, 2, 4, 4)
    loss = PseudoLabelSegLoss(losses=[
        dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False),
        dict(type='ifkd.MulticlassDiceLoss')])(s, t)
    labels = t.argmax(1)
    want = torch.nn.functional.cross_entropy(s, labels) + \
        MulticlassDiceLoss()(s, labels)
    assert loss.item() == pytest.approx(want.item(), rel=1e-6)


def test_feature_mse_is_mean_squared_error():
    from mmrazor.models.losses import L2Loss
    a, b = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    got = L2Loss(normalize=False, div_element=True, loss_weight=1 / 3)(a, b)
    assert got.item() == pytest.approx(
        torch.nn.functional.mse_loss(a, b).item() / 3, rel=1e-6)


def _sample(pred, gt):
    return dict(pred_sem_seg=dict(data=torch.as_tensor(pred)[None]),
                gt_sem_seg=dict(data=torch.as_tensor(gt)[None]))


def test_building_metric_constructed_case():
    gt = np.zeros((40, 40), np.int64)
    pred = np.zeros_like(gt)
    gt[0:10, 0:10] = 1          # A: 100 px
    pred[0:10, 0:8] = 1         # IoU 0.8 with A: matched
    gt[20:30, 0:10] = 1         # B: 100 px
    pred[20:30, 0:4] = 1        # IoU 0.4 with B: FP (40 px) and B an FN
    gt[0:8, 20:28] = 1          # C: 64 px < 80: ignored by polygon F1
    pred[30:40, 30:40] = 1      # D: false positive, 100 px
    metric = BuildingMetric(min_area=80)
    stats = [metric.image_stats(pred, gt)]
    empty = np.zeros((40, 40), np.int64)
    stats.append(metric.image_stats(empty, empty))  # an empty image
    out = metric.compute_metrics(stats)
    # Polygon: TP = 1 (A), FP = 1 (D; B's 40 px prediction is under 80 px
    # so it is dropped), FN = 1 (B).
    assert out['polygon_f1'] == pytest.approx(100 * 2 / (2 + 1 + 1))
    # Pixels, against scikit-learn on both images together.
    y, p = np.concatenate([gt.ravel(), empty.ravel()]), np.concatenate(
        [pred.ravel(), empty.ravel()])
    assert out['iou'] == pytest.approx(100 * jaccard_score(y, p))
    assert out['f1'] == pytest.approx(100 * f1_score(y, p))
    # Per-image Dice (smooth 1), the empty image scoring 1.
    inter, ps, gs = 80 + 40, 80 + 40 + 100, 100 + 100 + 64
    assert out['dice'] == pytest.approx(
        100 * ((2 * inter + 1) / (ps + gs + 1) + 1) / 2)


def test_buildings_are_8_connected_components():
    m = np.zeros((6, 6), bool)
    m[0, 0] = m[1, 1] = True    # diagonal neighbours: one building
    m[4:6, 4:6] = True
    comps = buildings(m, min_area=1)
    assert sorted(c.size for c in comps) == [2, 4]
    assert [c.size for c in buildings(m, min_area=3)] == [4]
