"""FUSAR-Ship / OpenSARShip / mixed datasets on constructed trees, and the
early, named failures on bad data."""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import DATASETS
from PIL import Image

from ifkd.datasets.fusar_ship import scan_fusar
from ifkd.datasets.opensarship import scan_opensarship
from ifkd.datasets.ship_classes import (CLASS_FREQUENCIES, FUSAR_CATEGORIES,
                                        SHIP_CLASSES)
from ifkd.datasets.ship_splits import read_split, write_split

# Chips per FUSAR folder of the constructed tree; Passenger is a real FUSAR
# category outside the three classes, so it must be skipped.
FUSAR_TREE = {
    'Cargo/BulkCarrier': 10,
    'Cargo/ContainerShip': 7,
    'Fishing/Fishing': 5,
    'Tanker/Tanker': 3,
    'Passenger/Passenger': 2,
}
PIPELINE = [
    dict(type='mmpretrain.LoadImageFromFile', color_type='grayscale'),
    dict(type='mmpretrain.PackInputs')
]


def save_chip(path, value, size=8, fmt=None):
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.full((size, size), value, np.uint8)
    Image.fromarray(img).save(path, format=fmt)


def make_fusar_tree(root, tree=FUSAR_TREE, ext='tiff'):
    """FUSAR release layout; chip gray level encodes its class index."""
    for folder, n in tree.items():
        cat, sub = folder.split('/')
        c = FUSAR_CATEGORIES.index(cat) + 1
        for i in range(n):
            value = 10 * (SHIP_CLASSES.index(cat) + 1) if (
                cat in SHIP_CLASSES) else 200
            save_chip(f'{root}/{folder}/Ship_C{c:02d}S01N{i + 1:04d}.{ext}',
                      value)
    with open(f'{root}/meta.csv', 'w') as f:
        f.write('id\tmmsi\tlength\twidth\tpath\n')
    return root


def make_opensarship_tree(root):
    """Two scenes; VV/VH patches in Patch_RGB, raw patches in Patch."""
    names = {
        'scene1/Patch_RGB': ['Cargo_x10_y20_vv.png', 'Cargo_x10_y20_vh.png',
                             'Tanker_x5_y5_vv.png', 'Tug_x1_y1_vv.png',
                             'notes.txt'],
        'scene1/Patch': ['Cargo_x10_y20_vv.tif'],
        'scene2/Patch_RGB': ['Fishing_x3_y4_vv.png', 'Cargo_x7_y7_vv.png',
                             'Tanker_x9_y1_VV.png'],
    }
    for folder, files in names.items():
        for name in files:
            path = f'{root}/{folder}/{name}'
            if name.endswith('.txt'):
                os.makedirs(osp.dirname(path), exist_ok=True)
                open(path, 'w').close()
            else:
                save_chip(path, 50)
    return root


def build(type_, root, ann_file='splits/train.txt', **kwargs):
    return DATASETS.build(
        dict(type=type_, data_root=root, ann_file=ann_file,
             pipeline=PIPELINE, **kwargs))


def test_scan_fusar(tmp_path):
    root = make_fusar_tree(str(tmp_path))
    samples = scan_fusar(root)
    expect = []
    for folder, n in FUSAR_TREE.items():
        cat = folder.split('/')[0]
        c = FUSAR_CATEGORIES.index(cat) + 1
        if cat != 'Passenger':
            expect += [(f'{folder}/Ship_C{c:02d}S01N{i + 1:04d}.tiff', cat)
                       for i in range(n)]
    expect.sort()
    assert samples == expect
    # A category can be mapped onto a class explicitly.
    mapped = scan_fusar(root, {'Cargo': 'Cargo', 'Passenger': 'Fishing'})
    assert [c for _, c in mapped].count('Fishing') == 2
    assert len(mapped) == 17 + 2


def test_scan_opensarship(tmp_path):
    root = make_opensarship_tree(str(tmp_path))
    assert scan_opensarship(root) == [
        ('scene1/Patch_RGB/Cargo_x10_y20_vv.png', 'Cargo'),
        ('scene1/Patch_RGB/Tanker_x5_y5_vv.png', 'Tanker'),
        ('scene2/Patch_RGB/Cargo_x7_y7_vv.png', 'Cargo'),
        ('scene2/Patch_RGB/Fishing_x3_y4_vv.png', 'Fishing'),
        ('scene2/Patch_RGB/Tanker_x9_y1_VV.png', 'Tanker'),
    ]
    both = scan_opensarship(root, patch_dir=None, polarization=None)
    assert len(both) == 7  # + the VH patch and the raw Patch/ file
    assert ('scene1/Patch/Cargo_x10_y20_vv.tif', 'Cargo') in both


def test_fusar_dataset_loads_labels_and_pixels(tmp_path):
    root = make_fusar_tree(str(tmp_path))
    samples = scan_fusar(root)
    os.makedirs(f'{root}/splits')
    write_split(f'{root}/splits/train.txt', samples[::2])
    ds = build('ifkd.FUSARShipDataset', root)
    assert ds.metainfo['classes'] == SHIP_CLASSES
    assert len(ds) == len(samples[::2])
    expect = [SHIP_CLASSES.index(c) for _, c in samples[::2]]
    assert ds.get_gt_labels().tolist() == expect
    for i in range(len(ds)):
        item = ds[i]
        # gray level written by make_fusar_tree = 10 * (label + 1)
        assert item['inputs'].shape == (1, 8, 8)
        assert int(item['inputs'][0, 0, 0]) == 10 * (expect[i] + 1)
        assert int(item['data_samples'].gt_label) == expect[i]
    # ann_file='' lists the whole tree.
    assert len(build('ifkd.FUSARShipDataset', root, '')) == len(samples)


def test_opensarship_and_mixed_dataset(tmp_path):
    root = make_opensarship_tree(str(tmp_path / 'osar'))
    ds = build('ifkd.OpenSARShipDataset', root, '')
    assert ds.get_gt_labels().tolist() == [0, 2, 0, 1, 2]
    assert osp.basename(ds.get_data_info(3)['img_path']) == (
        'Fishing_x3_y4_vv.png')
    # The merged set reads a split whose paths leave its own root.
    mixed = str(tmp_path / 'mixed')
    os.makedirs(f'{mixed}/splits')
    write_split(f'{mixed}/splits/train.txt',
                [('../osar/scene2/Patch_RGB/Fishing_x3_y4_vv.png', 'Fishing')])
    ds = build('ifkd.MixedShipDataset', mixed)
    assert ds.get_gt_labels().tolist() == [1]
    assert int(ds[0]['inputs'][0, 0, 0]) == 50


def test_class_frequencies_match_the_seed_counts():
    # Counts read off the seed's published per-class scores (see
    # ship_classes.py): FUSAR 1691/632/199, OpenSARShip ~2258/57/815.
    for name, counts in (('fusar', (1691, 632, 199)),
                         ('opensarship', (2258, 57, 815)),
                         ('mixed', (1691 + 2258, 632 + 57, 199 + 815))):
        ref = np.array(counts) / sum(counts)
        np.testing.assert_allclose(CLASS_FREQUENCIES[name], ref, atol=1e-3)
    fusar = CLASS_FREQUENCIES['fusar']
    assert fusar[0] > fusar[1] > fusar[2]  # Cargo >> Fishing > Tanker


# ---- bad data fails early, naming the file and the fix -------------------


@pytest.fixture
def fusar_root(tmp_path):
    root = make_fusar_tree(str(tmp_path / 'fusar'))
    os.makedirs(f'{root}/splits')
    write_split(f'{root}/splits/train.txt', scan_fusar(root))
    return root


def test_corrupt_image_named_at_build(fusar_root):
    bad = f'{fusar_root}/Cargo/BulkCarrier/Ship_C01S01N0003.tiff'
    with open(bad, 'wb') as f:
        f.write(b'this is not an image')
    with pytest.raises(ValueError) as err:
        build('ifkd.FUSARShipDataset', fusar_root)
    msg = str(err.value)
    assert 'corrupt image' in msg and bad in msg
    assert 'splits/train.txt' in msg and 'replace the file' in msg


def test_truncated_image_named_at_load(tmp_path):
    root = str(tmp_path)
    path = f'{root}/Cargo/BulkCarrier/Ship_C01S01N0001.png'
    os.makedirs(osp.dirname(path))
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (64, 64), np.uint8)).save(path)
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:  # header intact, pixel data cut
        f.write(data[:len(data) // 3])
    os.makedirs(f'{root}/splits')
    write_split(f'{root}/splits/train.txt',
                [('Cargo/BulkCarrier/Ship_C01S01N0001.png', 'Cargo')])
    ds = build('ifkd.FUSARShipDataset', root)  # the header check passes
    with pytest.raises(RuntimeError) as err:
        ds[0]
    assert path in str(err.value) and 'replace the file' in str(err.value)


def test_unknown_class_folder(tmp_path):
    root = make_fusar_tree(str(tmp_path))
    save_chip(f'{root}/Cargoo/Bulk/Ship_C01S01N0001.tiff', 1)
    with pytest.raises(ValueError) as err:
        scan_fusar(root)
    msg = str(err.value)
    assert f'unknown class folder {root}/Cargoo' in msg
    assert "category_map={'Cargoo': 'Cargo'}" in msg
    with pytest.raises(ValueError, match='unknown class folder'):
        build('ifkd.FUSARShipDataset', root, '')


def test_empty_split(fusar_root):
    open(f'{fusar_root}/splits/test.txt', 'w').close()
    with pytest.raises(ValueError) as err:
        build('ifkd.FUSARShipDataset', fusar_root, 'splits/test.txt')
    msg = str(err.value)
    assert f'{fusar_root}/splits/test.txt is empty' in msg
    assert 'ship_dataset_prep.py' in msg


def test_missing_listed_file(fusar_root):
    gone = f'{fusar_root}/Tanker/Tanker/Ship_C12S01N0002.tiff'
    os.remove(gone)
    with pytest.raises(FileNotFoundError) as err:
        build('ifkd.FUSARShipDataset', fusar_root)
    msg = str(err.value)
    assert gone in msg and f'{fusar_root}/splits/train.txt' in msg
    assert 'check data_root' in msg and 'ship_dataset_prep.py' in msg


def test_split_with_unknown_class_or_bad_line(fusar_root):
    split = f'{fusar_root}/splits/train.txt'
    with open(split, 'a') as f:
        f.write('Cargo/BulkCarrier/Ship_C01S01N0001.tiff Submarine\n')
    with pytest.raises(ValueError, match=r"train.txt:26: class 'Submarine'"):
        build('ifkd.FUSARShipDataset', fusar_root)
    with open(split, 'w') as f:
        f.write('no_class_field\n')
    with pytest.raises(ValueError, match='train.txt:1: expected'):
        read_split(split)
    with pytest.raises(FileNotFoundError, match='ship_dataset_prep.py'):
        build('ifkd.FUSARShipDataset', fusar_root, 'splits/val.txt')
