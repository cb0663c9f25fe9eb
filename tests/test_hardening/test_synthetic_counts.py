"""Objects per synthetic image: drawn from the real distribution, fewer
placed when crops are small (the README states by how much)."""
import os.path as osp
import re

import numpy as np
import pytest

from ifkd.datasets.synthetic import generate_image, load_stats
from tests.conftest import REPO

N = 300


def _mean_objects(img_size: int, scene_size: int, stats: dict) -> float:
    counts = [
        len(generate_image(stats, img_size, 10, np.random.default_rng(
            np.random.SeedSequence([0, i])), scene_size)[1])
        for i in range(N)
    ]
    return float(np.mean(counts))


@pytest.fixture(scope='module')
def drawn():
    """Mean and std of the real objects-per-image histogram, capped at the
    generator's max_objects=10 (independent of the generator)."""
    hist = load_stats()['objects_per_image']['hist']
    n = np.minimum([int(k) for k in hist], 10)
    p = np.array(list(hist.values()), np.float64)
    p /= p.sum()
    mean = float((n * p).sum())
    return mean, float(np.sqrt(((n - mean)**2 * p).sum()))


def test_uncrowded_images_keep_the_real_distribution(drawn):
    mean, std = drawn
    # 128 px images of a 128 px scene: small aircraft, room for all
    got = _mean_objects(128, 128, load_stats())
    assert abs(got - mean) < 3 * std / np.sqrt(N), (got, mean)


def test_demo_crops_drop_objects_as_the_readme_states(drawn):
    readme = open(osp.join(REPO, 'README.md')).read()
    stated = re.search(
        r'([0-9.]+)\s+objects\s+per\s+image\s+on\s+average', readme)
    assert stated, 'README no longer states the objects-per-image figure'
    got = _mean_objects(128, 512, load_stats())
    # the README's figure is over 1,000 images; this is over the first N
    assert abs(got - float(stated[1])) < 0.15, (got, stated[1])
    assert got < drawn[0] - 0.5  # a real difference, not noise
