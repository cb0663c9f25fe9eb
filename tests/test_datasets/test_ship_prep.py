"""tools/dataset_converters/ship_dataset_prep.py on constructed trees:
exact stratified counts, determinism per seed, the merged set, no copies."""
import importlib.util
import os
import os.path as osp
import random

import pytest
from mmengine.registry import DATASETS

from ifkd.datasets.fusar_ship import scan_fusar
from ifkd.datasets.ship_splits import num_test, read_split, stratified_split
from .test_ship_datasets import (PIPELINE, make_fusar_tree,
                                 make_opensarship_tree)
from tests.conftest import REPO

# Bigger than the dataset tests' tree, so that rounding cases show.
TREE = {
    'Cargo/BulkCarrier': 23,
    'Cargo/GeneralCargo': 18,  # Cargo: 41
    'Fishing/Fishing': 12,
    'Tanker/Tanker': 5,
    'Passenger/Passenger': 4,  # skipped
}


def load_prep():
    path = osp.join(REPO, 'tools', 'dataset_converters',
                    'ship_dataset_prep.py')
    spec = importlib.util.spec_from_file_location('ship_dataset_prep', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def snapshot(root):
    """``{relative path: (size, mtime)}`` of every file under ``root``."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = osp.join(dirpath, name)
            st = os.stat(path)
            out[osp.relpath(path, root)] = (st.st_size, st.st_mtime_ns)
    return out


def counts(samples):
    out = {}
    for _, c in samples:
        out[c] = out.get(c, 0) + 1
    return out


@pytest.mark.parametrize('ratio,expect_test', [
    # round(n * ratio), halves up, at least 1 and at most n - 1:
    # Cargo 41, Fishing 12, Tanker 5
    (0.2, {'Cargo': 8, 'Fishing': 2, 'Tanker': 1}),  # 8.2, 2.4, 1.0
    (0.3, {'Cargo': 12, 'Fishing': 4, 'Tanker': 2}),  # 12.3, 3.6, 1.5
    (0.5, {'Cargo': 21, 'Fishing': 6, 'Tanker': 3}),  # 20.5, 6, 2.5
    (0.05, {'Cargo': 2, 'Fishing': 1, 'Tanker': 1}),  # 2.05, 0.6, 0.25
    (0.95, {'Cargo': 39, 'Fishing': 11, 'Tanker': 4}),  # 38.95, 11.4, 4.75
])
def test_prep_stratified_exact_counts(tmp_path, ratio, expect_test):
    root = make_fusar_tree(str(tmp_path / 'fusar'), TREE, ext='png')
    load_prep().main(['--fusar', root, '--test-ratio', str(ratio)])
    train = read_split(f'{root}/splits/train.txt')
    test = read_split(f'{root}/splits/test.txt')
    assert counts(test) == expect_test
    total = {'Cargo': 41, 'Fishing': 12, 'Tanker': 5}
    assert counts(train) == {c: total[c] - expect_test[c] for c in total}
    # A partition of exactly the chips of the three classes.
    assert not set(train) & set(test)
    assert sorted(train + test) == scan_fusar(root)


def test_num_test_edge_cases():
    assert [num_test(n, 0.2) for n in (0, 1, 2, 3, 7, 8, 10)] == [
        0, 0, 1, 1, 1, 2, 2]
    with pytest.raises(ValueError, match='test_ratio'):
        stratified_split([('a.png', 'Cargo')], test_ratio=1.0)


def test_prep_deterministic_per_seed(tmp_path):
    prep = load_prep()
    roots = [make_fusar_tree(str(tmp_path / f'f{i}'), TREE, ext='png')
             for i in range(3)]
    texts = []
    for root, seed in zip(roots, (5, 5, 6)):
        prep.main(['--fusar', root, '--seed', str(seed)])
        texts.append(open(f'{root}/splits/test.txt').read())
    assert texts[0] == texts[1]  # same seed, another copy of the tree
    assert texts[0] != texts[2]  # another seed
    # Independent of the order the samples are listed in.
    samples = scan_fusar(roots[0])
    shuffled = list(samples)
    random.Random(0).shuffle(shuffled)
    assert stratified_split(samples, 0.2, 5) == stratified_split(
        shuffled, 0.2, 5)
    # A class's split does not depend on the other classes.
    cargo = [s for s in samples if s[1] == 'Cargo']
    full_test = stratified_split(samples, 0.2, 5)[1]
    assert stratified_split(cargo, 0.2, 5)[1] == [
        s for s in full_test if s[1] == 'Cargo']


def test_prep_mixed_no_copies(tmp_path):
    fusar = make_fusar_tree(str(tmp_path / 'fusar'), TREE, ext='png')
    osar = make_opensarship_tree(str(tmp_path / 'osar'))
    mixed = str(tmp_path / 'mixed')
    before = {'fusar': snapshot(fusar), 'osar': snapshot(osar)}
    parts = load_prep().main(['--fusar', fusar, '--opensarship', osar,
                              '--mixed-out', mixed])
    # Only the split files were added; no image was touched or copied.
    for name, root in (('fusar', fusar), ('osar', osar)):
        after = snapshot(root)
        assert set(after) - set(before[name]) == {'splits/train.txt',
                                                  'splits/test.txt'}
        assert {k: after[k] for k in before[name]} == before[name]
    assert set(snapshot(mixed)) == {'splits/train.txt', 'splits/test.txt'}
    # Mixed train/test = union of the parts' train/test splits.
    for k, split in enumerate(('train', 'test')):
        merged = read_split(f'{mixed}/splits/{split}.txt')
        expect = sorted(
            (osp.normpath(osp.join(root, p)), c) for root in (fusar, osar)
            for p, c in read_split(f'{root}/splits/{split}.txt'))
        got = sorted((osp.normpath(osp.join(mixed, p)), c)
                     for p, c in merged)
        assert got == expect
        assert len(parts[mixed][k]) == len(merged)
    # OpenSARShip's 5 chips: Cargo 2 -> 1 test, Tanker 2 -> 1, Fishing 1 -> 0
    assert counts(read_split(f'{osar}/splits/test.txt')) == {
        'Cargo': 1, 'Tanker': 1}
    ds = DATASETS.build(
        dict(type='ifkd.MixedShipDataset', data_root=mixed,
             ann_file='splits/test.txt', pipeline=PIPELINE))
    assert len(ds) == 11 + 2
    assert sorted(ds.get_gt_labels().tolist()) == [0] * 9 + [1] * 2 + [2] * 2


def test_prep_fails_early_on_bad_trees(tmp_path):
    prep = load_prep()
    root = make_fusar_tree(str(tmp_path / 'fusar'), TREE, ext='png')
    bad = f'{root}/Fishing/Fishing/Ship_C04S01N0002.png'
    with open(bad, 'wb') as f:
        f.write(b'\x89PNG broken')
    with pytest.raises(ValueError, match=f'corrupt image {bad}'):
        prep.main(['--fusar', root])
    assert not osp.exists(f'{root}/splits')  # nothing half-written
    os.makedirs(f'{root}/Trawlers')
    with pytest.raises(ValueError, match='unknown class folder'):
        prep.main(['--fusar', root, '--no-check'])
    # The fix named in the message works.
    prep.main(['--fusar', root, '--no-check', '--category-map',
               'Trawlers=Fishing'])
    with pytest.raises(ValueError, match='no chips of the chosen classes'):
        prep.main(['--opensarship', str(tmp_path / 'fusar' / 'Cargo')])
