"""ifkd.ClassificationMetric against scikit-learn, through mmengine's
Evaluator with mmpretrain data samples, and its scores.csv."""
import csv

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmpretrain.structures import DataSample
from sklearn.metrics import (accuracy_score, confusion_matrix,
                             precision_recall_fscore_support)

import ifkd  # noqa: F401
from ifkd.evaluation.scores_csv import class_tags, scores_header

CLASSES = ('Cargo', 'Fishing', 'Tanker')


def _evaluate(gt, pred, classes=CLASSES, scores=True, batch=4, **kwargs):
    """Run the metric through mmengine's Evaluator on DataSamples."""
    evaluator = Evaluator(dict(type='ifkd.ClassificationMetric', **kwargs))
    evaluator.dataset_meta = dict(classes=classes)
    k = len(classes)
    for start in range(0, len(gt), batch):
        samples = []
        for g, p in zip(gt[start:start + batch], pred[start:start + batch]):
            sample = DataSample().set_gt_label(int(g))
            if scores:  # a score vector whose argmax is p
                score = torch.rand(k) * 0.5
                score[p] = 1.0
                sample.set_pred_score(score.softmax(0))
            else:
                sample.set_pred_label(int(p))
            samples.append(sample)
        evaluator.process(samples)
    return evaluator.evaluate(len(gt))


def _check_against_sklearn(metrics, gt, pred, classes):
    labels = list(range(len(classes)))
    assert metrics['cls/accuracy'] == pytest.approx(
        100 * accuracy_score(gt, pred))
    p, r, f, _ = precision_recall_fscore_support(
        gt, pred, labels=labels, zero_division=0)
    for i, name in enumerate(classes):
        assert metrics[f'cls/precision/{name}'] == pytest.approx(100 * p[i])
        assert metrics[f'cls/recall/{name}'] == pytest.approx(100 * r[i])
        assert metrics[f'cls/f1/{name}'] == pytest.approx(100 * f[i])
    for avg in ('macro', 'weighted'):
        p, r, f, _ = precision_recall_fscore_support(
            gt, pred, labels=labels, average=avg, zero_division=0)
        assert metrics[f'cls/{avg}_precision'] == pytest.approx(100 * p)
        assert metrics[f'cls/{avg}_recall'] == pytest.approx(100 * r)
        assert metrics[f'cls/{avg}_f1'] == pytest.approx(100 * f)
    assert metrics['cls/confusion_matrix'] == confusion_matrix(
        gt, pred, labels=labels).tolist()


@pytest.mark.parametrize('seed', [0, 1, 2])
@pytest.mark.parametrize('scores', [True, False])
def test_random_imbalanced_against_sklearn(seed, scores):
    rng = np.random.default_rng(seed)
    classes = ('a', 'b', 'c', 'd')
    gt = rng.choice(4, size=57, p=[0.6, 0.25, 0.1, 0.05])
    # a classifier right 70 % of the time
    pred = np.where(rng.random(57) < 0.7, gt, rng.integers(0, 4, 57))
    _check_against_sklearn(
        _evaluate(gt, pred, classes, scores=scores), gt, pred, classes)


def test_class_never_predicted():
    gt = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    pred = np.array([0, 0, 2, 0, 0, 2, 2, 0])  # Fishing never predicted
    metrics = _evaluate(gt, pred)
    _check_against_sklearn(metrics, gt, pred, CLASSES)
    assert metrics['cls/precision/Fishing'] == 0.0
    assert metrics['cls/f1/Fishing'] == 0.0
    # by hand: Cargo right 2 of 5 predicted, 2 of 3 true:
    # F1 = 2 (2/5)(2/3) / (2/5 + 2/3) = (8/15) / (16/15) = 1/2
    assert metrics['cls/f1/Cargo'] == pytest.approx(50.0)


def test_class_absent_from_ground_truth():
    gt = np.array([0, 0, 0, 0, 2, 2])  # no Fishing in the test set
    pred = np.array([0, 1, 0, 0, 2, 1])
    metrics = _evaluate(gt, pred)
    _check_against_sklearn(metrics, gt, pred, CLASSES)
    assert metrics['cls/recall/Fishing'] == 0.0
    # absent class: counted in the macro mean, weight 0 in the weighted one
    f_cargo, f_tanker = 2 * 0.75 / 1.75, 2 * 0.5 / 1.5
    assert metrics['cls/macro_f1'] == pytest.approx(
        100 * (f_cargo + f_tanker) / 3)
    assert metrics['cls/weighted_f1'] == pytest.approx(
        100 * (4 * f_cargo + 2 * f_tanker) / 6)


def test_all_correct_and_all_wrong():
    gt = np.array([0, 1, 2, 2])
    perfect = _evaluate(gt, gt)
    assert perfect['cls/accuracy'] == 100.0
    assert perfect['cls/macro_f1'] == pytest.approx(100.0)
    wrong = (gt + 1) % 3
    metrics = _evaluate(gt, wrong)
    _check_against_sklearn(metrics, gt, wrong, CLASSES)
    assert metrics['cls/weighted_f1'] == 0.0


def test_scores_csv_row_in_the_study_format(tmp_path):
    path = tmp_path / 'out' / 'scores.csv'
    gt = np.array([0, 0, 0, 0, 0, 1, 1, 2, 2, 2])
    pred = np.array([0, 0, 0, 1, 0, 1, 0, 2, 2, 0])
    _evaluate(gt, pred, scores_csv=str(path), dataset_name='FusarShip',
              model_name='CNN')
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    header = [
        'Dataset', 'Model', 'Accuracy', 'Precision', 'Recall', 'F1',
        'C-Accuracy', 'C-Precision', 'C-Recall', 'C-F1', 'F-Accuracy',
        'F-Precision', 'F-Recall', 'F-F1', 'T-Accuracy', 'T-Precision',
        'T-Recall', 'T-F1'
    ]
    assert rows[0] == header
    row = dict(zip(header, rows[1]))
    assert (row['Dataset'], row['Model']) == ('FusarShip', 'CNN')
    p, r, f, _ = precision_recall_fscore_support(
        gt, pred, labels=[0, 1, 2], average='weighted', zero_division=0)
    assert row['Accuracy'] == f'{100 * accuracy_score(gt, pred):.2f}'
    assert [row['Precision'], row['Recall'], row['F1']] == [
        f'{100 * v:.2f}' for v in (p, r, f)
    ]
    p, r, f, _ = precision_recall_fscore_support(
        gt, pred, labels=[0, 1, 2], zero_division=0)
    for i, tag in enumerate('CFT'):
        # a class's accuracy is the share of its images classified right
        assert row[f'{tag}-Accuracy'] == f'{100 * r[i]:.2f}'
        assert [row[f'{tag}-Precision'], row[f'{tag}-Recall'],
                row[f'{tag}-F1']] == [f'{100 * v:.2f}' for v in
                                      (p[i], r[i], f[i])]
    # by hand: Cargo 4 of 5 right, 4 of 6 Cargo predictions right
    assert (row['C-Accuracy'], row['C-Precision']) == ('80.00', '66.67')

    # append collects models in one file; replace starts it again
    _evaluate(gt, gt, scores_csv=str(path), dataset_name='FusarShip',
              model_name='VGG', append=True)
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    assert [r[1] for r in rows[1:]] == ['CNN', 'VGG']
    assert rows[2][2] == '100.00'
    _evaluate(gt, gt, scores_csv=str(path), model_name='ResNet')
    with open(path, newline='') as f:
        assert [r[1] for r in list(csv.reader(f))[1:]] == ['ResNet']
    # another class list cannot be appended under these columns
    with pytest.raises(ValueError, match='set append=False'):
        _evaluate(gt, gt, ('x', 'y', 'z'), scores_csv=str(path),
                  append=True)


def test_class_tags_fall_back_to_names():
    assert class_tags(CLASSES) == ['C', 'F', 'T']
    assert class_tags(('Cargo', 'Container')) == ['Cargo', 'Container']
    assert scores_header(('Cargo', 'Container'))[6] == 'Cargo-Accuracy'


def test_mismatches_fail_with_the_fix():
    with pytest.raises(ValueError, match="head's num_classes"):
        _evaluate_k_scores()
    with pytest.raises(ValueError, match='outside'):
        _evaluate([0, 3], [0, 1], scores=False)
    with pytest.raises(ValueError, match='no class names'):
        evaluator = Evaluator(dict(type='ifkd.ClassificationMetric'))
        evaluator.process([DataSample().set_gt_label(0).set_pred_label(0)])
        evaluator.evaluate(1)


def _evaluate_k_scores():
    """4-class scores evaluated against 3 class names."""
    evaluator = Evaluator(
        dict(type='ifkd.ClassificationMetric', classes=CLASSES))
    evaluator.process(
        [DataSample().set_gt_label(0).set_pred_score(torch.rand(4))])
    return evaluator.evaluate(1)
