"""Pure-python parsing of VOC-style XML annotations and conversion to COCO.

No mmdet import here, so the converters, the stats tool and the tests can use
it without the OpenMMLab stack.

Conventions (shared by the converters, the datasets and the metric, so image
and category ids always agree):

* Boxes are taken from ``<bndbox>`` as-is; the COCO box is
  ``[xmin, ymin, xmax - xmin, ymax - ymin]``. No ``+1``/``-1`` shift is
  applied, i.e. ``xmax`` is treated as an exclusive pixel edge. The accepted
  range is ``0 <= xmin < xmax <= width`` (same for y); a box that leaves the
  image by exactly 1 px (the classic VOC 1-based off-by-one) is clipped with a
  warning, anything further is an error.
* Image ids are the 1-based position of the image in the split file, so they
  are deterministic and do not depend on how files are named.
* Category ids are ``1..K`` in the order of ``classes``; annotation ids are
  ``1..N`` in reading order.
* ``<difficult>`` is kept in the records and in the COCO annotations (extra
  ``difficult`` key) but does not change ``iscrowd``; SAR-AIRcraft-1.0 marks
  no object difficult.
"""
import math
import os.path as osp
import warnings
import xml.etree.ElementTree as ET
from typing import Callable, Dict, List, Optional, Sequence, Union

SAR_AIRCRAFT_CLASSES = ('A220', 'A320/321', 'A330', 'ARJ21', 'Boeing737',
                        'Boeing787', 'other')

# Extensions stripped from split-file entries (ShipRSImageNet lists
# ``000001.bmp``, SAR-AIRcraft-1.0 lists bare stems).
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')

# Reads the class name of one ``<object>`` element; ``source`` names the file
# for error messages.
NameGetter = Callable[[ET.Element, str], str]


class VOCFormatError(ValueError):
    """A VOC-style annotation or split file that cannot be used as is."""


def default_name_getter(obj: ET.Element, source: str) -> str:
    """Return the text of ``<name>``, the standard VOC class field."""
    return _required_text(obj, 'name', source)


def level_name_getter(tag: str, classes: Sequence[str]) -> NameGetter:
    """Build a getter that reads the class from a per-object level field.

    ShipRSImageNet stores, besides ``<name>``, one field per hierarchy level
    (``<level_0>`` ... ``<level_3>``) holding the 1-based index of the class
    in that level's class list. Plain class names in those fields are accepted
    too, so re-labelled copies of the dataset keep working.

    Args:
        tag (str): The field to read, e.g. ``'level_3'``.
        classes (Sequence[str]): The class list the indices refer to.

    Returns:
        NameGetter: Function ``(object_element, source) -> class name``.
    """
    classes = tuple(classes)

    def getter(obj: ET.Element, source: str) -> str:
        text = _required_text(obj, tag, source)
        if not text.lstrip('-').isdigit():
            return text
        index = int(text)
        if not 1 <= index <= len(classes):
            raise VOCFormatError(
                f'{source}: <{tag}>{text}</{tag}> is not a valid 1-based '
                f'class index (expected 1..{len(classes)}). Check that the '
                f'level matches the annotation files.')
        return classes[index - 1]

    return getter


def read_split_file(split_file: str) -> List[str]:
    """Read the image stems listed in a VOC ``ImageSets`` split file.

    Args:
        split_file (str): Path to e.g. ``ImageSets/Main/train.txt``.

    Returns:
        list[str]: Stems in file order, image extensions removed.
    """
    if not osp.isfile(split_file):
        raise VOCFormatError(
            f'Split file not found: {split_file}. Point ann_file (or '
            f'--splits) at an existing ImageSets/.../<split>.txt of the '
            f'unpacked dataset.')
    stems = []
    with open(split_file, encoding='utf-8') as f:
        for line in f:
            # Some VOC splits carry a second column (e.g. ``stem -1``).
            name = line.strip().split(' ')[0] if line.strip() else ''
            if not name:
                continue
            stem, ext = osp.splitext(name)
            stems.append(stem if ext.lower() in IMG_EXTENSIONS else name)
    if not stems:
        raise VOCFormatError(
            f'Split file is empty: {split_file}. It must list one image '
            f'name per line; regenerate it or pick another split.')
    seen = set()
    for stem in stems:
        if stem in seen:
            raise VOCFormatError(
                f'Split file {split_file} lists image {stem!r} twice; '
                f'remove the duplicate line so image ids stay unique.')
        seen.add(stem)
    return stems


def find_voc_root(split_file: str) -> str:
    """Find the dataset root (the folder holding ``Annotations``).

    Args:
        split_file (str): Path to a split file inside ``<root>/ImageSets``.

    Returns:
        str: The nearest ancestor folder that contains ``Annotations/``.
    """
    folder = osp.dirname(osp.abspath(split_file))
    while True:
        if osp.isdir(osp.join(folder, 'Annotations')):
            return folder
        parent = osp.dirname(folder)
        if parent == folder:
            raise VOCFormatError(
                f'No Annotations/ folder found above {split_file}. Keep the '
                f'VOC layout <root>/ImageSets/[Main/]<split>.txt next to '
                f'<root>/Annotations/*.xml.')
        folder = parent


def find_split_file(data_root: str, split: str) -> str:
    """Locate ``<split>.txt`` under ``ImageSets/Main`` or ``ImageSets``.

    SAR-AIRcraft-1.0 uses ``ImageSets/Main``, ShipRSImageNet ``ImageSets``.
    """
    candidates = [
        osp.join(data_root, 'ImageSets', 'Main', f'{split}.txt'),
        osp.join(data_root, 'ImageSets', f'{split}.txt')
    ]
    for path in candidates:
        if osp.isfile(path):
            return path
    raise VOCFormatError(
        f'Split {split!r} not found; looked for {candidates}. Check the '
        f'data root and the split name.')


def parse_voc_xml(xml_file: str,
                  classes: Sequence[str],
                  name_getter: Optional[NameGetter] = None) -> dict:
    """Parse one VOC-style XML file into a record.

    Args:
        xml_file (str): Path to the XML file.
        classes (Sequence[str]): Allowed class names.
        name_getter (NameGetter, optional): Reads an object's class name.
            Defaults to :func:`default_name_getter` (``<name>``).

    Returns:
        dict: ``dict(filename, width, height, objects)`` where each object is
        ``dict(name, bbox=[xmin, ymin, xmax, ymax], difficult)``.
    """
    if not osp.isfile(xml_file):
        raise VOCFormatError(
            f'Annotation file not found: {xml_file}. Every image listed in '
            f'the split needs Annotations/<stem>.xml; restore the file or '
            f'drop the image from the split.')
    try:
        root = ET.parse(xml_file).getroot()
    except ET.ParseError as e:
        raise VOCFormatError(
            f'Empty or corrupt XML in {xml_file} ({e}). Re-extract this file '
            f'from the dataset archive.') from e
    return parse_annotation_element(root, classes, xml_file, name_getter)


def parse_annotation_element(ann: ET.Element,
                             classes: Sequence[str],
                             source: str,
                             name_getter: Optional[NameGetter] = None) -> dict:
    """Parse one ``<annotation>`` element (see :func:`parse_voc_xml`).

    Args:
        ann (Element): The ``<annotation>`` element.
        classes (Sequence[str]): Allowed class names.
        source (str): Where the element comes from, used in error messages.
        name_getter (NameGetter, optional): Reads an object's class name.

    Returns:
        dict: The record.
    """
    name_getter = name_getter or default_name_getter
    if ann.tag != 'annotation':
        raise VOCFormatError(
            f'{source}: root element is <{ann.tag}>, expected <annotation>. '
            f'Is this a VOC-style annotation file?')
    filename = _required_text(ann, 'filename', source)
    size = ann.find('size')
    if size is None:
        raise VOCFormatError(
            f'{source}: missing <size>. Add <size><width>W</width>'
            f'<height>H</height></size> taken from the image.')
    width = _int_field(size, 'width', source)
    height = _int_field(size, 'height', source)
    if width <= 0 or height <= 0:
        raise VOCFormatError(
            f'{source}: image size {width}x{height} is not positive; fill '
            f'<size> with the real image width and height.')

    objects = []
    for idx, obj in enumerate(ann.findall('object')):
        where = f'{source} (object #{idx})'
        name = name_getter(obj, where)
        if name not in classes:
            raise VOCFormatError(
                f'{where}: unknown class {name!r}. Valid names: '
                f'{tuple(classes)}. If {name!r} is a real class of your '
                f'data, list it in the dataset config, e.g. metainfo=dict('
                f'classes=(..., {name!r})), or fix the annotation.')
        box = obj.find('bndbox')
        if box is None:
            raise VOCFormatError(
                f'{where}: missing <bndbox>; every object needs '
                f'<bndbox><xmin/><ymin/><xmax/><ymax/></bndbox>.')
        bbox = [
            _num_field(box, key, where)
            for key in ('xmin', 'ymin', 'xmax', 'ymax')
        ]
        bbox = _check_box(bbox, width, height, where)
        difficult = obj.find('difficult')
        objects.append(
            dict(
                name=name,
                bbox=bbox,
                difficult=0 if difficult is None or not difficult.text else
                int(_num_field(obj, 'difficult', where))))
    return dict(filename=filename, width=width, height=height,
                objects=objects)


def load_voc_split(split_file: str,
                   classes: Sequence[str],
                   name_getter: Optional[NameGetter] = None,
                   ann_dir: Optional[str] = None) -> List[dict]:
    """Parse every image of a split.

    Args:
        split_file (str): VOC split file.
        classes (Sequence[str]): Allowed class names.
        name_getter (NameGetter, optional): Reads an object's class name.
        ann_dir (str, optional): Folder with the XML files. Defaults to
            ``Annotations/`` of :func:`find_voc_root`.

    Returns:
        list[dict]: Records in split order.
    """
    stems = read_split_file(split_file)
    if ann_dir is None:
        ann_dir = osp.join(find_voc_root(split_file), 'Annotations')
    return [
        parse_voc_xml(osp.join(ann_dir, f'{stem}.xml'), classes, name_getter)
        for stem in stems
    ]


def records_to_coco(records: Sequence[dict],
                    classes: Sequence[str]) -> Dict[str, list]:
    """Convert records to a COCO detection dict.

    Args:
        records (Sequence[dict]): Output of :func:`load_voc_split`.
        classes (Sequence[str]): Class names; category ``i + 1`` is
            ``classes[i]``.

    Returns:
        dict: COCO dict with ``images``, ``annotations`` and ``categories``.
    """
    cat_ids = {name: i + 1 for i, name in enumerate(classes)}
    images, annotations = [], []
    for img_id, rec in enumerate(records, start=1):
        images.append(
            dict(
                id=img_id,
                file_name=rec['filename'],
                width=rec['width'],
                height=rec['height']))
        for obj in rec['objects']:
            x1, y1, x2, y2 = obj['bbox']
            w, h = x2 - x1, y2 - y1
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=img_id,
                    category_id=cat_ids[obj['name']],
                    bbox=[x1, y1, w, h],
                    area=w * h,
                    iscrowd=0,
                    difficult=obj['difficult']))
    categories = [
        dict(id=i + 1, name=name, supercategory='none')
        for i, name in enumerate(classes)
    ]
    return dict(
        images=images, annotations=annotations, categories=categories)


def voc_split_to_coco(split_file: str,
                      classes: Sequence[str],
                      name_getter: Optional[NameGetter] = None
                      ) -> Dict[str, list]:
    """Parse a VOC split and return it as a COCO dict (nothing is written)."""
    return records_to_coco(
        load_voc_split(split_file, classes, name_getter), classes)


def _required_text(elem: ET.Element, tag: str, source: str) -> str:
    child = elem.find(tag)
    if child is None or child.text is None or not child.text.strip():
        raise VOCFormatError(
            f'{source}: missing or empty <{tag}> inside <{elem.tag}>; add it '
            f'or re-extract the file from the dataset archive.')
    return child.text.strip()


def _num_field(elem: ET.Element, tag: str,
               source: str) -> Union[int, float]:
    text = _required_text(elem, tag, source)
    try:
        value = float(text)
    except ValueError:
        raise VOCFormatError(
            f'{source}: <{tag}>{text}</{tag}> is not a number; fix the '
            f'value in the annotation file.') from None
    if not math.isfinite(value):  # NaN passes every comparison check
        raise VOCFormatError(
            f'{source}: <{tag}>{text}</{tag}> is not a finite number; write '
            f'the pixel coordinate in the annotation file, or delete the '
            f'object.')
    # Keep integer coordinates as int so the COCO json matches the XML.
    return int(value) if value.is_integer() else value


def _int_field(elem: ET.Element, tag: str, source: str) -> int:
    value = _num_field(elem, tag, source)
    if not isinstance(value, int):
        raise VOCFormatError(
            f'{source}: <{tag}>{value}</{tag}> must be an integer pixel '
            f'count; fix <size> in the annotation file.')
    return value


def _check_box(bbox: list, width: int, height: int, source: str) -> list:
    x1, y1, x2, y2 = bbox
    if x2 <= x1 or y2 <= y1:
        raise VOCFormatError(
            f'{source}: degenerate box (xmin, ymin, xmax, ymax)={tuple(bbox)}'
            f'; xmax must exceed xmin and ymax must exceed ymin. Fix or '
            f'delete this object.')
    clipped = [
        min(max(x1, 0), width),
        min(max(y1, 0), height),
        min(max(x2, 0), width),
        min(max(y2, 0), height)
    ]
    if clipped == bbox:
        return bbox
    off_by_one = max(abs(a - b) for a, b in zip(clipped, bbox)) <= 1
    if off_by_one and clipped[2] > clipped[0] and clipped[3] > clipped[1]:
        warnings.warn(
            f'{source}: box {tuple(bbox)} leaves the {width}x{height} image '
            f'by 1 px (VOC 1-based coordinates); clipped to '
            f'{tuple(clipped)}.')
        return clipped
    raise VOCFormatError(
        f'{source}: box (xmin, ymin, xmax, ymax)={tuple(bbox)} lies outside '
        f'the {width}x{height} image by more than 1 px. Check <size> and the '
        f'box coordinates.')
