"""InverseFrequencySampler: class frequencies, determinism, replacement,
ranks, and use from a config through mmengine's runner."""
import numpy as np
import pytest
from mmengine.runner import Runner

from ifkd.datasets.samplers import (InverseFrequencySampler,
                                    inverse_frequency_weights)
from ifkd.datasets.synthetic_ships import generate_ship_dataset

# 70 / 25 / 5 % imbalance, like FUSAR-Ship's Cargo / Fishing / Tanker.
LABELS = np.repeat([0, 1, 2], [700, 250, 50])
N_DRAWS = 30000


class Labelled:
    """The smallest dataset the sampler accepts."""

    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def __len__(self):
        return len(self.labels)

    def get_gt_labels(self):
        return self.labels


def test_weights_hand_computed():
    w = inverse_frequency_weights([0, 0, 0, 1, 2, 2])
    np.testing.assert_allclose(w, [1 / 3, 1 / 3, 1 / 3, 1, 1 / 2, 1 / 2])
    with pytest.raises(ValueError, match='non-empty'):
        inverse_frequency_weights([])


def test_class_frequencies_balanced():
    sampler = InverseFrequencySampler(Labelled(LABELS), N_DRAWS, seed=0)
    idx = np.fromiter(sampler, int)
    assert len(idx) == len(sampler) == N_DRAWS
    freq = np.bincount(LABELS[idx], minlength=3) / N_DRAWS
    # Each class is a binomial share with p = 1/3: sd = sqrt(p(1-p)/N)
    # = 0.0027; the tolerance is 5 sd (two-sided p < 1e-6 per class).
    tol = 5 * np.sqrt(1 / 3 * 2 / 3 / N_DRAWS)
    np.testing.assert_allclose(freq, 1 / 3, atol=tol)
    # Within a class, samples are equally likely: each of the 50 minority
    # samples expects N/3/50 = 200 draws (Poisson sd 14); all within 6 sd.
    per_sample = np.bincount(idx, minlength=len(LABELS))[LABELS == 2]
    assert np.all(np.abs(per_sample - 200) < 6 * np.sqrt(200))


def test_seeded_per_epoch_and_with_replacement():
    ds = Labelled(LABELS)
    a = list(InverseFrequencySampler(ds, seed=3))
    b = list(InverseFrequencySampler(ds, seed=3))
    assert a == b and len(a) == len(LABELS)
    assert a != list(InverseFrequencySampler(ds, seed=4))
    s = InverseFrequencySampler(ds, seed=3)
    s.set_epoch(1)
    assert list(s) != a
    # With replacement: 1000 draws from 1000 samples repeat some.
    assert len(set(a)) < len(a)
    # Without: no repeats, and more draws than samples are refused.
    no_rep = list(InverseFrequencySampler(ds, 500, replacement=False,
                                          seed=0))
    assert len(set(no_rep)) == 500
    with pytest.raises(ValueError, match='replacement=True'):
        InverseFrequencySampler(ds, 1001, replacement=False)


def test_ranks_partition_the_draw():
    ds = Labelled(LABELS[:11])
    full = list(InverseFrequencySampler(ds, seed=0))
    parts = []
    for rank in range(3):
        s = InverseFrequencySampler(ds, seed=0)
        s.rank, s.world_size = rank, 3
        parts.append(list(s))
        assert len(s) == len(parts[-1])
    assert [len(p) for p in parts] == [4, 4, 3]
    assert sorted(sum(parts, [])) == sorted(full)


def test_from_config_on_ship_dataset(tmp_path):
    root = str(tmp_path)
    generate_ship_dataset(root, num_images=60, img_size=32, seed=0,
                          clutter=0.0)
    loader = Runner.build_dataloader(
        dict(batch_size=8, num_workers=0,
             dataset=dict(type='ifkd.FUSARShipDataset', data_root=root,
                          ann_file='splits/train.txt',
                          pipeline=[
                              dict(type='mmpretrain.LoadImageFromFile',
                                   color_type='grayscale'),
                              dict(type='mmpretrain.PackInputs')]),
             sampler=dict(type='ifkd.InverseFrequencySampler',
                          num_samples=1200)),
        seed=0)
    assert isinstance(loader.sampler, InverseFrequencySampler)
    labels = loader.dataset.get_gt_labels()
    assert np.bincount(labels).tolist() == [30, 13, 5]  # imbalanced set
    freq = np.bincount(labels[list(loader.sampler)], minlength=3) / 1200
    np.testing.assert_allclose(freq, 1 / 3,
                               atol=5 * np.sqrt(2 / 9 / 1200))
    batch = next(iter(loader))
    assert len(batch['inputs']) == 8
