"""Cluster voting: chips of one object share a label.

Test chips are grouped (by feature similarity, or by the seed's file-name
id gaps); inside a group the confident predictions vote and the winner
labels the whole group.
"""
from typing import Optional, Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

LINKAGES = ('single', 'average', 'complete')


def cluster_by_id_gap(ids: Sequence[int], gap: int = 100) -> np.ndarray:
    """The seed's grouping: sort the numeric ids and start a new group
    wherever the next id is more than ``gap`` above the previous one.

    Returns:
        np.ndarray: (N,) group index of each id, in the input order.
    """
    ids = np.asarray(ids, np.int64)
    order = np.argsort(ids, kind='stable')
    breaks = np.diff(ids[order]) > gap
    groups = np.empty(len(ids), np.int64)
    groups[order] = np.concatenate([[0], np.cumsum(breaks)])
    return groups


def cluster_by_features(features: np.ndarray,
                        method: str = 'average',
                        threshold: float = 0.1) -> np.ndarray:
    """Agglomerative clustering of L2-normalised features with cosine
    distance (scipy's ``linkage`` / ``fcluster``): groups merge while
    their ``method`` linkage distance is at most ``threshold``.

    Args:
        features (np.ndarray): (N, D) features.
        method (str): 'single', 'average' or 'complete' linkage.
        threshold (float): Cosine distance (1 - cosine similarity).

    Returns:
        np.ndarray: (N,) group index of each chip.
    """
    if method not in LINKAGES:
        raise ValueError(f'cluster method {method!r}: use one of {LINKAGES} '
                         "(or the 'id-gap' mode).")
    features = np.asarray(features, np.float64)
    if len(features) < 2:
        return np.zeros(len(features), np.int64)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    unit = features / np.maximum(norms, 1e-12)
    tree = linkage(unit, method=method, metric='cosine')
    return fcluster(tree, t=threshold, criterion='distance') - 1


def vote(labels: np.ndarray,
         confidences: np.ndarray,
         groups: np.ndarray,
         min_confidence: float = 0.95,
         num_classes: Optional[int] = None) -> np.ndarray:
    """Winner-take-all inside each group.

    The predictions whose confidence exceeds ``min_confidence`` vote; the
    label with most votes (ties: the larger summed confidence, then the
    smaller label) replaces every label of the group. A group without a
    confident prediction keeps its labels.

    Args:
        labels (np.ndarray): (N,) predicted labels.
        confidences (np.ndarray): (N,) confidence of each prediction.
        groups (np.ndarray): (N,) group index.
        min_confidence (float): Votes need a confidence above this.
        num_classes (int, optional): Number of classes.

    Returns:
        np.ndarray: (N,) labels after voting.
    """
    labels = np.asarray(labels, np.int64)
    confidences = np.asarray(confidences, np.float64)
    groups = np.asarray(groups)
    k = num_classes or int(labels.max()) + 1
    out = labels.copy()
    for g in np.unique(groups):
        member = groups == g
        voter = member & (confidences > min_confidence)
        if not voter.any():
            continue
        counts = np.bincount(labels[voter], minlength=k)
        mass = np.bincount(labels[voter], confidences[voter], minlength=k)
        # lexsort: last key first; argmax over (count, mass, -label)
        best = np.lexsort((-np.arange(k), mass, counts))[-1]
        out[member] = best
    return out
