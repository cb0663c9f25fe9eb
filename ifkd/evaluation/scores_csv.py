"""The per-run results file of the SAR ship classification study.

One row per (dataset, model) evaluation, percentages with two decimals::

    Dataset,Model,Accuracy,Precision,Recall,F1,C-Accuracy,C-Precision,...

``Precision``/``Recall``/``F1`` are support-weighted averages. Each class
then has four columns prefixed by its initial (by its full name when two
classes share one). The study computed its per-class columns on the subset
of images of that class, where precision is always 100 %; here they are
computed on the whole test set, and a class's ``Accuracy`` is the fraction
of its images classified correctly (its recall), which is what the study's
per-class accuracy measured.
"""
import csv
import os
import os.path as osp
from typing import Dict, List, Mapping, Sequence

SUMMARY_FIELDS = ('Accuracy', 'Precision', 'Recall', 'F1')


def class_tags(classes: Sequence[str]) -> List[str]:
    """Column prefixes: class initials if they are unique, else names."""
    initials = [name[:1].upper() for name in classes]
    return initials if len(set(initials)) == len(initials) else list(classes)


def scores_header(classes: Sequence[str]) -> List[str]:
    """The column names for ``classes``."""
    header = ['Dataset', 'Model', *SUMMARY_FIELDS]
    for tag in class_tags(classes):
        header += [f'{tag}-{field}' for field in SUMMARY_FIELDS]
    return header


def scores_row(metrics: Mapping[str, float], classes: Sequence[str],
               dataset: str = '', model: str = '') -> Dict[str, str]:
    """One row from ``ClassificationMetric``'s results (unprefixed keys,
    percentages)."""
    values = [
        metrics['accuracy'], metrics['weighted_precision'],
        metrics['weighted_recall'], metrics['weighted_f1']
    ]
    for name in classes:
        values += [
            metrics[f'recall/{name}'], metrics[f'precision/{name}'],
            metrics[f'recall/{name}'], metrics[f'f1/{name}']
        ]
    header = scores_header(classes)
    return dict(
        zip(header, [dataset, model] + [f'{v:.2f}' for v in values]))


def write_scores_csv(path: str, row: Mapping[str, str],
                     append: bool = False) -> None:
    """Write ``row`` (with its header) to ``path``.

    Args:
        path (str): The csv file; parent folders are created.
        row (Mapping[str, str]): Column name -> value, in column order.
        append (bool): Add the row to an existing file with the same columns
            (one file collecting several models, as in the study) instead of
            replacing it. Defaults to False.
    """
    header = list(row)
    if append and osp.isfile(path):
        with open(path, newline='') as f:
            existing = next(csv.reader(f), None)
        if existing != header:
            raise ValueError(
                f'{path} has the columns {existing}, not {header}: write '
                'these scores to another file or set append=False to '
                'replace it.')
        with open(path, 'a', newline='') as f:
            csv.DictWriter(f, header).writerow(row)
        return
    parent = osp.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerow(row)
