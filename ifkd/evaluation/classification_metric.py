from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from ifkd.registry import METRICS
from .scores_csv import scores_row, write_scores_csv


def confusion_matrix(gt: np.ndarray, pred: np.ndarray,
                     num_classes: int) -> np.ndarray:
    """(K, K) counts, rows ground truth, columns prediction."""
    for name, labels in (('ground-truth', gt), ('predicted', pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(
                f'ClassificationMetric: a {name} label lies outside '
                f'[0, {num_classes}) for the {num_classes} classes; check '
                "the dataset's classes against the head's num_classes.")
    flat = gt.astype(np.int64) * num_classes + pred.astype(np.int64)
    return np.bincount(flat, minlength=num_classes**2).reshape(
        num_classes, num_classes)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 (scikit-learn's zero_division=0)."""
    return np.divide(num, den, out=np.zeros(num.shape), where=den > 0)


def scores_from_confusion(cm: np.ndarray) -> Dict[str, np.ndarray]:
    """Per-class precision, recall, F1 and support from a confusion
    matrix, as fractions; a class never predicted has precision 0, a class
    absent from the ground truth recall 0, and F1 is 0 where both are."""
    tp = np.diag(cm).astype(np.float64)
    precision = _ratio(tp, cm.sum(axis=0))
    recall = _ratio(tp, cm.sum(axis=1))
    f1 = _ratio(2 * precision * recall, precision + recall)
    return dict(precision=precision, recall=recall, f1=f1,
                support=cm.sum(axis=1))


@METRICS.register_module()
class ClassificationMetric(BaseMetric):
    """Single-label classification scores for imbalanced classes.

    Reports, in percent: accuracy; precision, recall and F1 of each class
    (keys ``precision/<class>``, ``recall/<class>``, ``f1/<class>``); their
    macro (unweighted) and support-weighted means (``macro_f1``,
    ``weighted_f1``, ...). Also the confusion matrix (``confusion_matrix``,
    a list of rows: ground truth by row, prediction by column). Every class
    of ``classes`` counts, also one absent from the test set, as in
    scikit-learn with ``labels=range(K)`` and ``zero_division=0``.
    mmpretrain's ``SingleLabelMetric`` has no weighted mean; this metric
    reads the same data samples (``pred_score`` or ``pred_label``, and
    ``gt_label``).

    With ``scores_csv`` it also writes the study's ``scores.csv`` row (see
    ``ifkd.evaluation.scores_csv``)::

        test_evaluator = dict(type='ifkd.ClassificationMetric',
                              scores_csv='work_dirs/ship/scores.csv',
                              dataset_name='FusarShip', model_name='CNN')

    Args:
        classes (Sequence[str], optional): Class names in label order.
            Defaults to the dataset's ``metainfo['classes']``.
        scores_csv (str, optional): Path of the ``scores.csv`` to write.
            Defaults to None (not written).
        dataset_name (str): ``Dataset`` column of the csv row.
        model_name (str): ``Model`` column of the csv row.
        append (bool): Append the row to an existing ``scores_csv`` with the
            same columns instead of replacing the file. Defaults to False.
        collect_device (str): Device to gather results across ranks.
        prefix (str, optional): Key prefix. Defaults to 'cls'.
    """

    default_prefix: Optional[str] = 'cls'

    def __init__(self,
                 classes: Optional[Sequence[str]] = None,
                 scores_csv: Optional[str] = None,
                 dataset_name: str = '',
                 model_name: str = '',
                 append: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.classes = tuple(classes) if classes is not None else None
        self.scores_csv = scores_csv
        self.dataset_name = dataset_name
        self.model_name = model_name
        self.append = append

    def class_names(self) -> Sequence[str]:
        """``classes``, else the dataset's, else an error."""
        if self.classes is not None:
            return self.classes
        classes = (self.dataset_meta or {}).get('classes')
        if not classes:
            raise ValueError(
                'ClassificationMetric: no class names; pass classes=... or '
                "evaluate a dataset whose metainfo has 'classes'.")
        return tuple(classes)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep (ground truth, prediction, number of scores) per sample."""
        for sample in data_samples:
            if 'pred_score' in sample:
                score = sample['pred_score']
                pred, num_scores = int(score.argmax()), int(score.numel())
            else:
                pred, num_scores = int(sample['pred_label'].reshape(-1)[0]), 0
            gt = int(sample['gt_label'].reshape(-1)[0])
            self.results.append((gt, pred, num_scores))

    def compute_metrics(self, results: List) -> Dict:
        """Scores of all gathered samples."""
        classes = self.class_names()
        k = len(classes)
        if not results:
            raise ValueError('ClassificationMetric: no samples were '
                             'evaluated; check the test split file.')
        gt, pred, num_scores = (np.array(x, dtype=np.int64)
                                for x in zip(*results))
        sizes = set(num_scores[num_scores > 0].tolist())
        if sizes and sizes != {k}:
            raise ValueError(
                f'ClassificationMetric: the model scores {sorted(sizes)} '
                f'classes but there are {k} class names {list(classes)}; '
                "set the head's num_classes to the dataset's classes.")
        cm = confusion_matrix(gt, pred, k)
        per_class = scores_from_confusion(cm)
        weights = per_class['support'] / max(per_class['support'].sum(), 1)
        metrics = dict(accuracy=100 * np.trace(cm) / max(cm.sum(), 1))
        for key in ('precision', 'recall', 'f1'):
            values = per_class[key]
            metrics[f'macro_{key}'] = 100 * values.mean()
            metrics[f'weighted_{key}'] = 100 * (values * weights).sum()
            for name, value in zip(classes, values):
                metrics[f'{key}/{name}'] = 100 * value
        metrics = {k_: float(v) for k_, v in metrics.items()}
        if self.scores_csv:
            write_scores_csv(
                self.scores_csv,
                scores_row(metrics, classes, self.dataset_name,
                           self.model_name), self.append)
            MMLogger.get_current_instance().info(
                f'scores written to {self.scores_csv}')
        metrics['confusion_matrix'] = cm.tolist()
        return metrics
