"""VOC parsing and the SAR-AIRcraft converter, checked on the real sample."""
import importlib.util
import json
import os.path as osp
import sys
import xml.etree.ElementTree as ET

import pytest

from ifkd.datasets.voc_parsing import (SAR_AIRCRAFT_CLASSES, VOCFormatError,
                                       find_split_file, load_voc_split,
                                       parse_voc_xml, read_split_file,
                                       voc_split_to_coco)

from tests.conftest import REPO, SAMPLE


@pytest.fixture
def sample() -> str:
    """The shared SAR-AIRcraft-1.0 sample; missing means a broken checkout,
    so the test fails instead of skipping."""
    assert osp.isdir(SAMPLE), f'shared SAR-AIRcraft-1.0 sample missing: ' \
        f'{SAMPLE}'
    return SAMPLE


def load_tool(rel_path):
    """Import a script under tools/ as a module."""
    path = osp.join(REPO, rel_path)
    spec = importlib.util.spec_from_file_location(
        osp.splitext(osp.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference(split):
    """Independent reading of the sample with plain ElementTree."""
    stems = open(f'{SAMPLE}/ImageSets/Main/{split}.txt').read().split()
    out = []
    for stem in stems:
        root = ET.parse(f'{SAMPLE}/Annotations/{stem}.xml').getroot()
        objs = []
        for o in root.iter('object'):
            b = [int(o.find(f'bndbox/{k}').text)
                 for k in ('xmin', 'ymin', 'xmax', 'ymax')]
            objs.append((o.find('name').text, b))
        out.append((root.find('filename').text,
                    int(root.find('size/width').text),
                    int(root.find('size/height').text), objs))
    return out


@pytest.mark.parametrize('split', ['train', 'test'])
def test_converter_matches_real_xml(tmp_path, monkeypatch, split, sample):
    tool = load_tool('tools/dataset_converters/sar_aircraft2coco.py')
    monkeypatch.setattr(sys, 'argv', [
        'sar_aircraft2coco.py', SAMPLE, '--splits', split, '--out-dir',
        str(tmp_path)
    ])
    tool.main()
    coco = json.load(open(tmp_path / f'sar_aircraft_{split}.json'))

    assert coco['categories'] == [
        dict(id=i + 1, name=n, supercategory='none')
        for i, n in enumerate(SAR_AIRCRAFT_CLASSES)
    ]
    ref = reference(split)
    assert [img['id'] for img in coco['images']] == list(
        range(1, len(ref) + 1))
    n_boxes = 0
    for img, (fname, w, h, objs) in zip(coco['images'], ref):
        assert img['file_name'] == fname
        assert (img['width'], img['height']) == (w, h)
        anns = [a for a in coco['annotations'] if a['image_id'] == img['id']]
        assert len(anns) == len(objs)
        for ann, (name, (x1, y1, x2, y2)) in zip(anns, objs):
            assert SAR_AIRCRAFT_CLASSES[ann['category_id'] - 1] == name
            assert ann['bbox'] == [x1, y1, x2 - x1, y2 - y1]
            assert ann['area'] == (x2 - x1) * (y2 - y1)
            assert ann['iscrowd'] == 0
        n_boxes += len(objs)
    assert len(coco['annotations']) == n_boxes > 0
    ann_ids = [a['id'] for a in coco['annotations']]
    assert ann_ids == list(range(1, n_boxes + 1))


def test_split_helpers(sample):
    assert find_split_file(SAMPLE, 'test').endswith('ImageSets/Main/test.txt')
    assert read_split_file(f'{SAMPLE}/ImageSets/Main/test.txt') == [
        '0004367', '0004368'
    ]
    recs = load_voc_split(f'{SAMPLE}/ImageSets/Main/test.txt',
                          SAR_AIRCRAFT_CLASSES)
    assert [r['filename'] for r in recs] == ['0004367.jpg', '0004368.jpg']


# ---------------------------------------------------------------- bad input
XML = """<annotation>
<filename>0000001.jpg</filename><size>
<width>800</width>
<height>600</height>
</size>
<object>
<name>{name}</name>
<difficult>0</difficult>
<bndbox>
<xmin>{x1}</xmin>
<ymin>10</ymin>
<xmax>{x2}</xmax>
<ymax>50</ymax>
</bndbox>
</object>
</annotation>
"""


def make_tree(root, xml_text=None, split_text='0000001\n'):
    (root / 'Annotations').mkdir(parents=True)
    (root / 'ImageSets' / 'Main').mkdir(parents=True)
    (root / 'ImageSets' / 'Main' / 'train.txt').write_text(split_text)
    if xml_text is not None:
        (root / 'Annotations' / '0000001.xml').write_text(xml_text)
    return str(root / 'ImageSets' / 'Main' / 'train.txt')


def convert(split):
    return voc_split_to_coco(split, SAR_AIRCRAFT_CLASSES)


def test_valid_minimal(tmp_path):
    coco = convert(make_tree(tmp_path, XML.format(name='A330', x1=5, x2=45)))
    assert coco['annotations'][0]['bbox'] == [5, 10, 40, 40]
    assert coco['annotations'][0]['category_id'] == 3


@pytest.mark.parametrize(
    'xml_text, match',
    [
        (None, r'Annotation file not found: .*0000001\.xml'),
        ('', r'Empty or corrupt XML in .*0000001\.xml.*Re-extract'),
        ('<annotation><filename>a', r'Empty or corrupt XML in .*0000001'),
        (XML.replace('<size>\n<width>800</width>\n<height>600</height>\n'
                     '</size>', ''), r'0000001\.xml: missing <size>'),
        (XML.replace('<width>800</width>', ''),
         r'0000001\.xml: missing or empty <width> inside <size>'),
        (XML.replace('<width>800</width>', '<width>0</width>'),
         r'image size 0x600 is not positive'),
        (XML.replace('<filename>0000001.jpg</filename>', ''),
         r'missing or empty <filename>'),
        (XML.split('<bndbox>')[0] + '</object>\n</annotation>',
         r'0000001\.xml \(object #0\): missing <bndbox>'),
        (XML.replace('<ymax>50</ymax>', ''),
         r'object #0\): missing or empty <ymax> inside <bndbox>'),
        (XML.replace('<ymax>50</ymax>', '<ymax>5O</ymax>'),
         r'<ymax>5O</ymax> is not a number'),
        (XML.replace('<ymax>50</ymax>', '<ymax>nan</ymax>'),
         r'0000001\.xml \(object #0\): <ymax>nan</ymax> is not a finite '
         r'number; write the pixel coordinate'),
        (XML.format(name='A220', x1=5, x2='NaN'),
         r'<xmax>NaN</xmax> is not a finite number'),
        (XML.format(name='A220', x1='-inf', x2=30),
         r'<xmin>-inf</xmin> is not a finite number'),
        (XML.format(name='A220', x1=5, x2='inf'),
         r'<xmax>inf</xmax> is not a finite number'),
        (XML.replace('<width>800</width>', '<width>nan</width>'),
         r'<width>nan</width> is not a finite number'),
        (XML.format(name='A220', x1=30, x2=30), r'degenerate box'),
        (XML.format(name='A220', x1=40, x2=30), r'degenerate box'),
        (XML.format(name='A220', x1=30, x2=803),
         r'outside the 800x600 image by more than 1 px'),
        (XML.format(name='A220', x1=-5, x2=30), r'outside the 800x600'),
        (XML.format(name='F16', x1=1, x2=30),
         r"unknown class 'F16'\. Valid names: \('A220', 'A320/321'.*"
         r"metainfo=dict\(classes=\(\.\.\., 'F16'\)\)"),
    ])
def test_bad_annotation(tmp_path, xml_text, match):
    if xml_text is not None and '{name}' in xml_text:
        xml_text = xml_text.format(name='A220', x1=5, x2=45)
    split = make_tree(tmp_path, xml_text)
    with pytest.raises(VOCFormatError, match=match):
        convert(split)


def test_off_by_one_is_clipped_with_warning(tmp_path):
    split = make_tree(tmp_path, XML.format(name='A220', x1=-1, x2=801))
    with pytest.warns(UserWarning, match=r'leaves the 800x600 image by 1 px'):
        coco = convert(split)
    assert coco['annotations'][0]['bbox'] == [0, 10, 800, 40]


@pytest.mark.parametrize('split_text, match', [
    ('', r'Split file is empty: .*train\.txt'),
    ('\n  \n', r'Split file is empty'),
    ('0000001\n0000001\n', r"lists image '0000001' twice"),
])
def test_bad_split_file(tmp_path, split_text, match):
    split = make_tree(tmp_path, XML.format(name='A220', x1=5, x2=45),
                      split_text)
    with pytest.raises(VOCFormatError, match=match):
        convert(split)


def test_missing_split_and_root(tmp_path):
    with pytest.raises(VOCFormatError, match=r'Split file not found: .*nope'):
        convert(str(tmp_path / 'nope.txt'))
    with pytest.raises(VOCFormatError, match=r"Split 'val' not found"):
        find_split_file(str(tmp_path), 'val')
    lone = tmp_path / 'lone.txt'
    lone.write_text('0000001\n')
    with pytest.raises(VOCFormatError, match=r'No Annotations/ folder found'):
        convert(str(lone))


def test_parse_real_file_directly(sample):
    rec = parse_voc_xml(f'{SAMPLE}/Annotations/0004360.xml',
                        SAR_AIRCRAFT_CLASSES)
    assert (rec['width'], rec['height']) == (800, 800)
    assert rec['objects'][0] == dict(
        name='Boeing787', bbox=[76, 217, 163, 311], difficult=0)
