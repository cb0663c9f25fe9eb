"""ShipRSImageNet: the level switch, on a tiny tree with the real layout."""
import json
import sys

import numpy as np
import pytest
import torch

from ifkd.datasets import ShipRSImageNetDataset
from ifkd.datasets.shiprs_classes import SHIPRS_CLASSES, shiprs_classes
from ifkd.datasets.voc_parsing import VOCFormatError
from ifkd.evaluation import VOCCocoMetric
from .test_voc_parsing import load_tool

# Objects as (level_3 name, [level_0, level_1, level_2, level_3] ids). The
# ids are the 1-based positions in the official lists, written out by hand.
OBJECTS = {
    '000001': [('Nimitz', [1, 2, 4, 6]), ('Container Ship', [1, 3, 13, 38])],
    '000002': [('Dock', [2, 4, 25, 50]),
               ('Arleigh Burke DD', [1, 2, 6, 11]),
               ('Other Ship', [1, 1, 1, 1])],
    '000003': [('Motorboat', [1, 3, 24, 49])],
}
EXPECTED = {
    0: {'Nimitz': 'Ship', 'Container Ship': 'Ship', 'Dock': 'Dock',
        'Arleigh Burke DD': 'Ship', 'Other Ship': 'Ship',
        'Motorboat': 'Ship'},
    1: {'Nimitz': 'Warship', 'Container Ship': 'Merchant', 'Dock': 'Dock',
        'Arleigh Burke DD': 'Warship', 'Other Ship': 'Other Ship',
        'Motorboat': 'Merchant'},
    2: {'Nimitz': 'Aircraft Carrier', 'Container Ship': 'Container Ship',
        'Dock': 'Dock', 'Arleigh Burke DD': 'Destroyer',
        'Other Ship': 'Other Ship', 'Motorboat': 'Motorboat'},
    3: {n: n for n in ('Nimitz', 'Container Ship', 'Dock',
                       'Arleigh Burke DD', 'Other Ship', 'Motorboat')},
}


def object_xml(name, levels, i, as_names=False):
    x1, y1, x2, y2 = 10 + 40 * i, 20, 40 + 40 * i, 70
    level_fields = ''.join(
        f'<level_{lv}>'
        f'{EXPECTED[lv][name] if as_names else levels[lv]}</level_{lv}>'
        for lv in range(4))
    return (
        f'<object><name>{name}</name><difficult>0</difficult>'
        f'<polygon><x1>{x1}</x1><y1>{y1}</y1><x2>{x2}</x2><y2>{y1}</y2>'
        f'<x3>{x2}</x3><y3>{y2}</y3><x4>{x1}</x4><y4>{y2}</y4></polygon>'
        f'<bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax>'
        f'<ymax>{y2}</ymax></bndbox><Ship_area>{(x2 - x1) * (y2 - y1)}'
        f'</Ship_area>{level_fields}</object>')


def make_shiprs(root, as_names=False):
    """ShipRSImageNet VOC_Format: ImageSets/<split>.txt lists ``*.bmp``."""
    for sub in ('Annotations', 'ImageSets', 'JPEGImages'):
        (root / sub).mkdir(parents=True)
    (root / 'ImageSets' / 'train.txt').write_text(''.join(
        f'{stem}.bmp\n' for stem in OBJECTS))
    for stem, objs in OBJECTS.items():
        body = ''.join(
            object_xml(n, lv, i, as_names) for i, (n, lv) in enumerate(objs))
        (root / 'Annotations' / f'{stem}.xml').write_text(
            f'<annotation><folder>ShipRSImageNet</folder>'
            f'<filename>{stem}.bmp</filename><source><database>'
            f'ShipRSImageNet</database></source><size><width>930</width>'
            f'<height>930</height><depth>3</depth></size>{body}'
            f'</annotation>')
    return root


def expected_labels(level):
    names = shiprs_classes(level)
    return [[names.index(EXPECTED[level][n]) for n, _ in objs]
            for objs in OBJECTS.values()]


def test_official_class_counts():
    assert {k: len(v) for k, v in SHIPRS_CLASSES.items()} == {
        0: 2, 1: 4, 2: 25, 3: 50}
    with pytest.raises(ValueError, match=r'level must be one of \[0, 1, 2, 3'):
        shiprs_classes(4)


@pytest.mark.parametrize('level', [0, 1, 2, 3])
@pytest.mark.parametrize('as_names', [False, True])
def test_level_switch_dataset(tmp_path, level, as_names):
    root = make_shiprs(tmp_path, as_names)
    ds = ShipRSImageNetDataset(
        level=level,
        data_root=str(root),
        ann_file='ImageSets/train.txt',
        data_prefix=dict(img='JPEGImages/'),
        pipeline=[])
    assert ds.metainfo['classes'] == shiprs_classes(level)
    assert len(ds.metainfo['palette']) == len(shiprs_classes(level))
    assert [[i['bbox_label'] for i in d['instances']]
            for d in ds] == expected_labels(level)
    assert [d['img_path'].rsplit('/', 1)[1] for d in ds] == [
        '000001.bmp', '000002.bmp', '000003.bmp'
    ]
    assert ds[1]['instances'][0]['bbox'] == [10, 20, 40, 70]


@pytest.mark.parametrize('level', [0, 3])
def test_level_switch_converter(tmp_path, monkeypatch, level):
    root = make_shiprs(tmp_path / 'VOC_Format')
    tool = load_tool('tools/dataset_converters/shiprs2coco.py')
    monkeypatch.setattr(sys, 'argv', [
        'shiprs2coco.py', str(root), '--splits', 'train', '--level',
        str(level), '--out-dir', str(tmp_path / 'out')
    ])
    tool.main()
    coco = json.load(
        open(tmp_path / 'out' / f'shiprs_train_level{level}.json'))
    names = shiprs_classes(level)
    assert [c['name'] for c in coco['categories']] == list(names)
    assert [c['id'] for c in coco['categories']] == list(
        range(1, len(names) + 1))
    got = [[a['category_id'] - 1 for a in coco['annotations']
            if a['image_id'] == img['id']] for img in coco['images']]
    assert got == expected_labels(level)
    assert [img['file_name'] for img in coco['images']] == [
        '000001.bmp', '000002.bmp', '000003.bmp'
    ]


def test_bad_level_fields(tmp_path):
    root = make_shiprs(tmp_path)
    xml = root / 'Annotations' / '000003.xml'
    xml.write_text(xml.read_text().replace('<level_1>3</level_1>',
                                           '<level_1>7</level_1>'))
    kwargs = dict(data_root=str(root), ann_file='ImageSets/train.txt',
                  pipeline=[])
    with pytest.raises(VOCFormatError,
                       match=r'000003\.xml \(object #0\): <level_1>7'
                       r'</level_1> is not a valid 1-based class index '
                       r'\(expected 1\.\.4\)'):
        ShipRSImageNetDataset(level=1, **kwargs)
    xml.write_text(xml.read_text().replace('<level_2>24</level_2>', ''))
    with pytest.raises(VOCFormatError, match=r'missing or empty <level_2>'):
        ShipRSImageNetDataset(level=2, **kwargs)
    ShipRSImageNetDataset(level=3, **kwargs)  # other levels still fine


def test_metric_follows_dataset_level(tmp_path):
    root = make_shiprs(tmp_path)
    ds = ShipRSImageNetDataset(
        level=1, data_root=str(root), ann_file='ImageSets/train.txt',
        pipeline=[])
    samples = [
        dict(
            img_id=d['img_id'],
            ori_shape=(d['height'], d['width']),
            pred_instances=dict(
                bboxes=torch.tensor(
                    np.array([i['bbox'] for i in d['instances']],
                             np.float32)),
                scores=torch.ones(len(d['instances'])),
                labels=torch.tensor([i['bbox_label']
                                     for i in d['instances']])))
        for d in ds
    ]
    metric = VOCCocoMetric(data_root=str(root), ann_file='ImageSets/train.txt')
    metric.dataset_meta = ds.metainfo
    metric.process({}, samples)
    assert metric.evaluate(len(ds))['coco/bbox_mAP'] == pytest.approx(1.0)

    wrong = VOCCocoMetric(
        data_root=str(root), ann_file='ImageSets/train.txt', level=3)
    wrong.dataset_meta = ds.metainfo
    with pytest.raises(ValueError, match=r'disagrees with the dataset'):
        wrong.process({}, samples)
