"""Class-balancing data sampler for imbalanced classification sets."""
import math
from typing import Iterator, Optional, Sized

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from ifkd.registry import DATA_SAMPLERS


def inverse_frequency_weights(labels: np.ndarray) -> np.ndarray:
    """Per-sample weight ``1 / (count of its class)``.

    Drawn with these weights, every class present is equally likely.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError('need a non-empty 1-D array of class indices, got '
                         f'shape {labels.shape}')
    counts = np.bincount(labels)
    return 1.0 / counts[labels]


@DATA_SAMPLERS.register_module()
class InverseFrequencySampler(Sampler):
    """Draw indices with probability inversely proportional to their class
    frequency, so each class appears equally often in expectation (the
    "class-balanced" sampler).

    Labels come from ``dataset.get_gt_labels()``. Each epoch draws a fresh,
    reproducible sequence from ``seed + epoch`` (the runner calls
    :meth:`set_epoch`); under distributed training each rank takes every
    ``world_size``-th index of the same sequence.

    Args:
        dataset (Sized): A dataset with ``get_gt_labels()``.
        num_samples (int, optional): Indices drawn per epoch over all ranks.
            Defaults to ``len(dataset)``.
        replacement (bool): Draw with replacement. Without it a sample is
            used at most once per epoch, so ``num_samples`` may not exceed
            the dataset and the balance is only partial. Defaults to True.
        seed (int, optional): Random seed, shared by all ranks. Defaults to
            a seed synchronised across ranks.
    """

    def __init__(self,
                 dataset: Sized,
                 num_samples: Optional[int] = None,
                 replacement: bool = True,
                 seed: Optional[int] = None) -> None:
        if not hasattr(dataset, 'get_gt_labels'):
            raise TypeError(
                f'{type(dataset).__name__} has no get_gt_labels(); '
                f'InverseFrequencySampler needs single-label class indices')
        self.dataset = dataset
        self.weights = torch.from_numpy(
            inverse_frequency_weights(dataset.get_gt_labels()))
        self.total = len(dataset) if num_samples is None else num_samples
        if self.total <= 0:
            raise ValueError(f'num_samples must be positive, got {self.total}')
        if not replacement and self.total > len(dataset):
            raise ValueError(
                f'num_samples={self.total} > {len(dataset)} samples needs '
                f'replacement=True')
        self.replacement = replacement
        self.seed = sync_random_seed() if seed is None else seed
        self.rank, self.world_size = get_dist_info()
        self.epoch = 0

    def __iter__(self) -> Iterator[int]:
        gen = torch.Generator().manual_seed(self.seed + self.epoch)
        indices = torch.multinomial(
            self.weights, self.total, self.replacement, generator=gen)
        return iter(indices[self.rank::self.world_size].tolist())

    def __len__(self) -> int:
        return math.ceil((self.total - self.rank) / self.world_size)

    def set_epoch(self, epoch: int) -> None:
        """Use another draw for ``epoch``."""
        self.epoch = epoch
