"""Inference for classifiers that must also reject unknown inputs:
test-time augmentation, cluster voting and OOD scores."""
from .cluster_voting import cluster_by_features, cluster_by_id_gap, vote
from .ood_scores import energy, ood_scores
from .predict import (Decision, Predictions, decide, predict,
                      write_submission)
from .tta import LogitFeatureTTA, tta_pipeline

__all__ = [
    'cluster_by_features', 'cluster_by_id_gap', 'vote', 'energy',
    'ood_scores', 'Decision', 'Predictions', 'decide', 'predict',
    'write_submission', 'LogitFeatureTTA', 'tta_pipeline'
]
