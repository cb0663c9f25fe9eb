"""Closed-set accuracy, in- vs out-of-distribution AUROC and the MAVOC
challenge score."""
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from scipy.stats import rankdata

from ifkd.registry import METRICS

OOD_LABEL = -1
ACC_WEIGHT = 0.75  # challenge score = 0.75 * accuracy + 0.25 * AUROC


def auroc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve of ``scores`` for ``positive`` (bool),
    ties counting half: the Mann-Whitney U statistic over
    ``n_pos * n_neg``.

    Args:
        scores (np.ndarray): (N,) higher means "positive".
        positive (np.ndarray): (N,) bool labels.
    """
    scores = np.asarray(scores, np.float64)
    positive = np.asarray(positive, bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        raise ValueError(f'AUROC needs both classes; got {n_pos} positive '
                         f'and {n_neg} negative samples.')
    if not np.isfinite(scores).all():
        raise ValueError('AUROC: the scores hold NaN or inf.')
    ranks = rankdata(scores)  # average ranks of ties
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) /
                 (n_pos * n_neg))


def ood_metrics(gt: np.ndarray,
                pred: np.ndarray,
                scores: Mapping[str, np.ndarray],
                classes: Sequence[str],
                challenge_score: Optional[str] = None) -> Dict[str, float]:
    """Scores in percent of one test set.

    Args:
        gt (np.ndarray): (N,) class index, or ``OOD_LABEL`` for an OOD chip.
        pred (np.ndarray): (N,) predicted class index.
        scores (Mapping[str, np.ndarray]): Name -> (N,) in-distribution
            score (higher: more likely in distribution), e.g. ``energy``
            (negated energy) and ``max_softmax``.
        classes (Sequence[str]): Class names in label order.
        challenge_score (str, optional): The score of ``challenge_score``,
            ``0.75 * accuracy + 0.25 * AUROC``; None: every score's
            (``challenge/<name>``) only.

    Returns:
        dict: ``accuracy`` (top-1 over the labelled chips),
        ``mean_class_accuracy`` and ``accuracy/<class>``; with OOD chips
        ``auroc/<name>`` and ``challenge/<name>`` for each score, and
        ``challenge_score``.
    """
    gt, pred = np.asarray(gt, np.int64), np.asarray(pred, np.int64)
    k = len(classes)
    if gt.size and (gt.max() >= k or gt.min() < OOD_LABEL):
        raise ValueError(f'labels must lie in [0, {k}) or be {OOD_LABEL} '
                         f'(OOD), got [{gt.min()}, {gt.max()}]: check the '
                         "dataset's classes against the head's num_classes.")
    known = gt != OOD_LABEL
    if not known.any():
        raise ValueError('no labelled in-distribution chips to score; check '
                         'the labels file.')
    hit = pred[known] == gt[known]
    out = {'accuracy': 100 * hit.mean()}
    per_class = [hit[gt[known] == c].mean() for c in range(k)
                 if (gt[known] == c).any()]
    out['mean_class_accuracy'] = 100 * float(np.mean(per_class))
    for c, name in enumerate(classes):
        if (gt[known] == c).any():
            out[f'accuracy/{name}'] = 100 * hit[gt[known] == c].mean()
    if (~known).any():
        for name, score in scores.items():
            out[f'auroc/{name}'] = 100 * auroc(score, known)
            out[f'challenge/{name}'] = (ACC_WEIGHT * out['accuracy'] +
                                        (1 - ACC_WEIGHT) *
                                        out[f'auroc/{name}'])
        if challenge_score is not None:
            if challenge_score not in scores:
                raise KeyError(
                    f'challenge_score={challenge_score!r} but the scores '
                    f'are {sorted(scores)}.')
            out['challenge_score'] = out[f'challenge/{challenge_score}']
    return {key: float(v) for key, v in out.items()}


@METRICS.register_module()
class OODClassificationMetric(BaseMetric):
    """Top-1 and per-class accuracy on in-distribution chips, AUROC of
    in-distribution vs OOD chips for each OOD score, and the MAVOC
    challenge score ``0.75 * accuracy + 0.25 * AUROC`` (percent).

    OOD chips carry ``gt_label == -1`` (``ifkd.EOSARTestDataset`` with
    ``ood_file``). Scores are read from a data sample's ``ood_scores`` dict
    when present (the EO-SAR inference tool writes ``energy`` and
    ``max_softmax``); otherwise ``max_softmax`` is taken from
    ``pred_score`` (a plain ``tools/test.py`` run, which has no logits for
    the energy). Without OOD chips only the accuracies are reported.

    Args:
        challenge_score (str): Score used for ``challenge_score``. Defaults
            to 'energy'.
        classes (Sequence[str], optional): Class names; defaults to the
            dataset's.
        collect_device (str): Device to gather results across ranks.
        prefix (str, optional): Key prefix. Defaults to 'ood'.
    """

    default_prefix: Optional[str] = 'ood'

    def __init__(self,
                 challenge_score: str = 'energy',
                 classes: Optional[Sequence[str]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.challenge_score = challenge_score
        self.classes = tuple(classes) if classes else None

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'gt_label' not in sample:
                raise ValueError(
                    'OODClassificationMetric needs labelled chips: give the '
                    'test set a labels_file (and ood_file); a blind test '
                    'set is only predicted (tools/analysis_tools/'
                    'eo_sar_inference.py writes its submission csv).')
            prob = sample['pred_score'].float().cpu()
            scores = {k: float(v)
                      for k, v in sample.get('ood_scores', {}).items()}
            scores.setdefault('max_softmax', float(prob.max()))
            self.results.append(
                (int(sample['gt_label'].reshape(-1)[0]), int(prob.argmax()),
                 scores))

    def compute_metrics(self, results: List) -> Dict[str, float]:
        classes = self.classes or tuple(
            (self.dataset_meta or {}).get('classes', ()))
        if not classes:
            raise ValueError('OODClassificationMetric: no class names; pass '
                             'classes=... or use a dataset with classes.')
        gt = np.array([r[0] for r in results])
        pred = np.array([r[1] for r in results])
        names = set.intersection(*(set(r[2]) for r in results))
        scores = {n: np.array([r[2][n] for r in results]) for n in names}
        challenge = self.challenge_score if self.challenge_score in names \
            else None
        if challenge is None and (gt == OOD_LABEL).any():
            raise KeyError(
                f'OODClassificationMetric: challenge_score='
                f'{self.challenge_score!r} but the predictions only carry '
                f'{sorted(names)}; use challenge_score="max_softmax" for a '
                'plain test run, or the inference tool for the energy.')
        return ood_metrics(gt, pred, scores, classes, challenge)
