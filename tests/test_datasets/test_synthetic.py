"""Synthetic SAR-AIRcraft generator: determinism, layout, loading, stats."""
import filecmp
import json
import os
import os.path as osp
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from ifkd.datasets import SARAircraftDataset
from ifkd.datasets.synthetic import (GENERATOR_FILE, generate_dataset,
                                     generator_args, load_stats,
                                     sample_box_wh)
from ifkd.datasets.voc_parsing import SAR_AIRCRAFT_CLASSES
from .test_voc_parsing import SAMPLE, load_tool

# Chi-square critical value, 6 degrees of freedom, p = 0.001.
CHI2_6DF_P001 = 22.458


def tree(root):
    """Relative paths of all files and folders under ``root``."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            out.add(osp.relpath(osp.join(dirpath, name), root))
    return out


def read_boxes(root, stem):
    ann = ET.parse(f'{root}/Annotations/{stem}.xml').getroot()
    return [(o.find('name').text,
             [int(o.find(f'bndbox/{k}').text)
              for k in ('xmin', 'ymin', 'xmax', 'ymax')])
            for o in ann.iter('object')]


def skeleton(xml_text):
    """The XML with values blanked: (frame, set of object blocks)."""
    text = re.sub(r'<(\w+)>[^<>]*</\1>', r'<\1></\1>', xml_text)
    blocks = re.findall(r'<object>.*?</object>\n', text, flags=re.S)
    frame = re.sub(r'(<object>.*?</object>\n)+', '<OBJECTS/>', text,
                   flags=re.S)
    return frame, set(blocks)


@pytest.fixture(scope='module')
def small_set(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synth'))
    splits = generate_dataset(root, num_train=6, num_test=3, seed=7)
    return root, splits


def test_deterministic(tmp_path, small_set):
    root, _ = small_set
    generate_dataset(str(tmp_path / 'again'), num_train=6, num_test=3, seed=7)
    again = str(tmp_path / 'again')
    assert tree(root) == tree(again)
    files = [p for p in tree(root) if osp.isfile(osp.join(root, p))]
    _, mismatch, errors = filecmp.cmpfiles(root, again, files, shallow=False)
    assert not mismatch and not errors
    # A different seed gives different data.
    generate_dataset(str(tmp_path / 'other'), num_train=6, num_test=3, seed=8)
    assert not filecmp.cmp(f'{root}/JPEGImages/0000001.jpg',
                           str(tmp_path / 'other/JPEGImages/0000001.jpg'),
                           shallow=False)


def test_cli_matches_library(tmp_path, monkeypatch, small_set):
    root, _ = small_set
    tool = load_tool('tools/misc/gen_synthetic_sar_aircraft.py')
    monkeypatch.setattr(sys, 'argv', [
        'gen', '--out', str(tmp_path), '--num-train', '6', '--num-test', '3',
        '--seed', '7'
    ])
    tool.main()
    assert filecmp.cmp(f'{root}/Annotations/0000009.xml',
                       str(tmp_path / 'Annotations/0000009.xml'),
                       shallow=False)


def test_layout_is_sar_aircraft(small_set):
    root, splits = small_set
    folders = {p for p in tree(SAMPLE) if osp.isdir(osp.join(SAMPLE, p))}
    assert {p for p in tree(root) if osp.isdir(osp.join(root, p))} == folders
    stems = splits['train'] + splits['test']
    assert splits['train'] == [f'{i:07d}' for i in range(1, 7)]
    assert splits['test'] == [f'{i:07d}' for i in range(7, 10)]
    for split in ('train', 'test'):
        text = open(f'{root}/ImageSets/Main/{split}.txt').read()
        assert text == ''.join(f'{s}\n' for s in splits[split])
    files = {p for p in tree(root) if osp.isfile(osp.join(root, p))}
    assert files == {f'JPEGImages/{s}.jpg' for s in stems} | {
        f'Annotations/{s}.xml' for s in stems
    } | {'ImageSets/Main/train.txt', 'ImageSets/Main/test.txt',
         GENERATOR_FILE}
    with open(osp.join(root, GENERATOR_FILE)) as f:
        assert json.load(f) == generator_args(num_train=6, num_test=3, seed=7)

    real = open(f'{SAMPLE}/Annotations/0004360.xml').read()
    for stem in stems:
        text = open(f'{root}/Annotations/{stem}.xml').read()
        if '<object>' in text:  # byte-for-byte format, values aside
            assert skeleton(text) == skeleton(real)
        ann = ET.fromstring(text)
        img = Image.open(f'{root}/JPEGImages/{stem}.jpg')
        real_img = Image.open(f'{SAMPLE}/JPEGImages/0004360.jpg')
        assert (img.format, img.mode) == (real_img.format, real_img.mode)
        assert img.size == (int(ann.find('size/width').text),
                            int(ann.find('size/height').text)) == (256, 256)
        assert ann.find('filename').text == f'{stem}.jpg'


def test_loads_through_dataset(small_set):
    root, splits = small_set
    for split in ('train', 'test'):
        ds = SARAircraftDataset(
            data_root=root,
            ann_file=f'ImageSets/Main/{split}.txt',
            data_prefix=dict(img='JPEGImages/'),
            pipeline=[])
        assert len(ds) == len(splits[split])
        for info, stem in zip(ds, splits[split]):
            assert info['img_path'] == osp.join(root, 'JPEGImages',
                                                f'{stem}.jpg')
            boxes = read_boxes(root, stem)
            assert [i['bbox'] for i in info['instances']] == [
                [float(v) for v in b] for _, b in boxes
            ]
            assert [i['bbox_label'] for i in info['instances']] == [
                SAR_AIRCRAFT_CLASSES.index(n) for n, _ in boxes
            ]


def test_boxes_inside_tight_and_disjoint(small_set):
    root, splits = small_set
    ratios, rings = [], []
    for stem in splits['train'] + splits['test']:
        img = np.asarray(Image.open(f'{root}/JPEGImages/{stem}.jpg'), float)
        boxes = [b for _, b in read_boxes(root, stem)]
        mask = np.zeros(img.shape, bool)
        for x1, y1, x2, y2 in boxes:
            assert 0 <= x1 < x2 <= img.shape[1]
            assert 0 <= y1 < y2 <= img.shape[0]
            assert min(x2 - x1, y2 - y1) >= 10
            assert not mask[y1:y2, x1:x2].any(), 'targets overlap'
            mask[y1:y2, x1:x2] = True
        bg_mean = img[~mask].mean()
        bg_p99 = np.percentile(img[~mask], 99)
        for x1, y1, x2, y2 in boxes:
            # Tight: each 2-px inner border strip holds a bright pixel.
            strips = (img[y1:y1 + 2, x1:x2], img[y2 - 2:y2, x1:x2],
                      img[y1:y2, x1:x1 + 2], img[y1:y2, x2 - 2:x2])
            assert min(s.max() for s in strips) > bg_p99
            ratios.append(img[y1:y2, x1:x2].mean() / bg_mean)
            # Nothing bright leaks out: a 3-px ring around the box is dark.
            ring = np.zeros(img.shape, bool)
            ring[max(y1 - 3, 0):y2 + 3, max(x1 - 3, 0):x2 + 3] = True
            rings.append(img[ring & ~mask].mean() / bg_mean)
    assert len(ratios) > 10
    # Clearly brighter inside the boxes than around and outside them.
    assert min(ratios) > 1.2 and np.median(ratios) > 2
    assert np.median(rings) < 1.2


def test_statistics_follow_real_data(tmp_path):
    stats = load_stats()
    root = str(tmp_path)
    splits = generate_dataset(root, num_train=120, num_test=0, seed=1)
    counts = Counter()
    rel_w = []
    for stem in splits['train']:
        for name, (x1, _, x2, _) in read_boxes(root, stem):
            counts[name] += 1
            rel_w.append((x2 - x1) / 256)
    total = sum(counts.values())
    assert total > 300
    expected = np.array([stats['class_freq'][c] for c in SAR_AIRCRAFT_CLASSES])
    observed = np.array([counts[c] for c in SAR_AIRCRAFT_CLASSES])
    chi2 = (((observed - total * expected)**2) / (total * expected)).sum()
    assert chi2 < CHI2_6DF_P001, (observed, total * expected)
    # Objects per image and relative box sizes close to the real ones.
    assert abs(total / 120 - stats['objects_per_image']['mean']) < 0.8
    real_median = np.median(
        [stats['boxes'][c]['rel_w']['p50'] for c in SAR_AIRCRAFT_CLASSES])
    assert abs(np.median(rel_w) - real_median) < 0.015


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='img_size=32 is too small'):
        generate_dataset(str(tmp_path), img_size=32)
    with pytest.raises(ValueError, match='num_train'):
        generate_dataset(str(tmp_path), num_train=0, num_test=0)


def test_scene_size_keeps_real_pixel_sizes():
    stats = load_stats()
    for name in ('A220', 'A330', 'other'):
        for seed in range(20):
            # the same draw, as a 1000 px scene and as a 128 px crop of it
            whole = sample_box_wh(stats, name, 1000,
                                  np.random.default_rng(seed))
            crop = sample_box_wh(stats, name, 128,
                                 np.random.default_rng(seed), scene_size=1000)
            assert crop == pytest.approx(
                [float(np.clip(v, 12, 64)) for v in whole])
            # without scene_size the box shrinks with the image
            small = sample_box_wh(stats, name, 128,
                                  np.random.default_rng(seed))
            assert small == pytest.approx(
                [float(np.clip(v * 128 / 1000, 12, 64)) for v in whole])
