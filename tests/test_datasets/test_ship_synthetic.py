"""Synthetic SAR ship chips: determinism, class counts, FUSAR layout,
class-dependent hulls, flags and the CLI."""
import filecmp
import importlib.util
import json
import os
import os.path as osp
import re

import numpy as np
import pytest
from mmengine.registry import DATASETS
from PIL import Image

from ifkd.datasets.fusar_ship import scan_fusar
from ifkd.datasets.ship_classes import SHIP_CLASSES, class_frequencies
from ifkd.datasets.ship_splits import read_split
from ifkd.datasets.synthetic_ships import (GENERATOR_FILE, class_counts,
                                           generate_ship_dataset,
                                           generator_args, render_chip)
from tests.conftest import REPO


def files(root):
    return sorted(
        osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root)
        for f in fs)


@pytest.fixture(scope='module')
def small_set(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('ships'))
    return root, generate_ship_dataset(root, num_images=100, img_size=48,
                                       seed=3)


def test_class_counts_hand_computed():
    # 100 chips, FUSAR shares 0.6705 / 0.2506 / 0.0789: 2 each, then the
    # other 94 by largest remainder: 63.03, 23.55, 7.42 -> 63, 24, 7.
    assert class_counts(100, class_frequencies('fusar')) == [65, 26, 9]
    # 2 each, then 3 * (0.5, 0.3, 0.2) = 1.5, 0.9, 0.6 -> 1, 0, 0 and the
    # two left over to the largest remainders (0.9, 0.6).
    assert class_counts(9, (0.5, 0.3, 0.2)) == [3, 3, 3]
    with pytest.raises(ValueError, match='too small'):
        class_counts(5, (0.5, 0.3, 0.2))
    # Large sets follow the real shares closely.
    for name in ('fusar', 'opensarship', 'mixed'):
        freq = np.array(class_frequencies(name))
        got = np.array(class_counts(20000, freq)) / 20000
        np.testing.assert_allclose(got, freq, atol=1e-3)


def test_layout_counts_and_splits(small_set):
    root, result = small_set
    assert result['counts'] == {'Cargo': 65, 'Fishing': 26, 'Tanker': 9}
    # The FUSAR-Ship release layout, readable by the real scanner.
    samples = scan_fusar(root)
    assert len(samples) == 100
    name_re = re.compile(r'^(\w+)/(\w+)/Ship_C(\d\d)S(\d\d)N(\d{4})\.png$')
    per_class = {c: 0 for c in SHIP_CLASSES}
    for path, cls in samples:
        m = name_re.match(path)
        assert m and m.group(1) == cls, path
        per_class[cls] += 1
        with Image.open(osp.join(root, path)) as img:
            assert img.mode == 'L' and img.size == (48, 48)
    assert per_class == result['counts']
    # Stratified 80/20: round(n / 5) of each class in test.
    train = read_split(f'{root}/splits/train.txt')
    test = read_split(f'{root}/splits/test.txt')
    assert sorted(train + test) == samples
    assert [sum(c == k for _, c in test) for k in SHIP_CLASSES] == [13, 5, 2]
    assert (train, test) == (result['train'], result['test'])
    with open(f'{root}/{GENERATOR_FILE}') as f:
        assert json.load(f) == generator_args(100, 48, 3)
    ds = DATASETS.build(dict(type='ifkd.FUSARShipDataset', data_root=root,
                             ann_file='splits/test.txt'))
    assert np.bincount(ds.get_gt_labels()).tolist() == [13, 5, 2]


def test_deterministic_per_seed(tmp_path, small_set):
    root, _ = small_set
    again = str(tmp_path / 'again')
    generate_ship_dataset(again, num_images=100, img_size=48, seed=3)
    assert files(again) == files(root)
    for rel in files(root):
        assert filecmp.cmp(osp.join(root, rel), osp.join(again, rel),
                           shallow=False), rel
    other = str(tmp_path / 'other')
    generate_ship_dataset(other, num_images=100, img_size=48, seed=4)
    same = [filecmp.cmp(osp.join(root, r), osp.join(other, r), shallow=False)
            for r in files(root) if r.endswith('.png') and
            osp.exists(osp.join(other, r))]
    assert not any(same)


def hull_shape(img, thr):
    """Length and width (px) of the bright blob: extents along the
    principal axes of the pixels above ``thr``."""
    ys, xs = np.nonzero(img > thr)
    pts = np.stack([xs, ys], 1).astype(float)
    pts -= pts.mean(0)
    _, _, axes = np.linalg.svd(pts, full_matrices=False)
    proj = pts @ axes.T
    ext = proj.max(0) - proj.min(0) + 1
    return ext[0], ext[1]


def test_class_dependent_hulls():
    # Noise-free, clutter-free chips: measure each class's hull.
    shapes = {}
    for c, name in enumerate(SHIP_CLASSES):
        sub = 'Fishing' if name == 'Fishing' else name
        sub = 'BulkCarrier' if name == 'Cargo' else sub
        dims = []
        for i in range(12):
            rng = np.random.default_rng([c, i])
            img = render_chip(name, sub, 128, rng, noise=0, clutter=0)
            dims.append(hull_shape(img, 45))
        shapes[name] = np.array(dims).mean(0)
    length = {k: v[0] / 128 for k, v in shapes.items()}
    aspect = {k: v[0] / v[1] for k, v in shapes.items()}
    # Medians set in HULLS: lengths 0.60 / 0.34 / 0.64 of the chip,
    # aspect 6.5 / 4.0 / 5.6 (measured blobs are a little wider).
    assert length['Fishing'] < 0.7 * min(length['Cargo'], length['Tanker'])
    assert abs(length['Cargo'] - 0.60) < 0.08
    assert aspect['Fishing'] < aspect['Tanker'] < aspect['Cargo']


def test_difficulty_flags(tmp_path):
    rng = lambda: np.random.default_rng(0)  # noqa: E731
    clean = render_chip('Cargo', 'BulkCarrier', 64, rng(), noise=0,
                        clutter=0).astype(float)
    noisy = render_chip('Cargo', 'BulkCarrier', 64, rng(), noise=1.0,
                        clutter=0).astype(float)
    # Speckle is multiplicative with mean 1: similar mean, more variance.
    sea = clean < 40
    assert noisy[sea].std() > 3 * clean[sea].std()
    # Size jitter widens the spread of hull lengths.
    lengths = {}
    for jitter in (0.25, 2.0):
        lengths[jitter] = np.std([
            hull_shape(render_chip('Tanker', 'Tanker', 96,
                                   np.random.default_rng(i), noise=0,
                                   clutter=0, size_jitter=jitter), 45)[0]
            for i in range(16)])
    assert lengths[2.0] > 3 * lengths[0.25]
    with pytest.raises(TypeError, match='unknown flags'):
        generate_ship_dataset(str(tmp_path), num_images=10, looks=3)


def test_cli(tmp_path, capsys):
    path = osp.join(REPO, 'tools', 'misc', 'gen_synthetic_sar_ships.py')
    spec = importlib.util.spec_from_file_location('gen_ships', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / 'cli')
    tool.main(['--out', out, '--num-images', '30', '--img-size', '32',
               '--seed', '1', '--imbalance', 'opensarship', '--noise', '0.5'])
    # 30 chips, OpenSARShip shares: 2 each, then 24 * (0.7214, 0.0182,
    # 0.2604) = 17.31, 0.44, 6.25 -> 17, 0 + 1 (largest remainder), 6.
    printed = capsys.readouterr().out
    assert "{'Cargo': 19, 'Fishing': 3, 'Tanker': 8}" in printed
    assert len(scan_fusar(out)) == 30
    with open(f'{out}/{GENERATOR_FILE}') as f:
        args = json.load(f)
    assert args == generator_args(30, 32, 1, imbalance='opensarship',
                                  noise=0.5)
