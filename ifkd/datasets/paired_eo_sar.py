"""EO / SAR chip pairs in the MAVOC challenge layout, and its SAR-only test
folder.

Training layout (the challenge's, and ``synthetic_eo_sar.py``'s)::

    data_root/train/EO/<class>/EO_<id>.png
    data_root/train/SAR/<class>/SAR_<id>.png    # same <id>: same object

Test layout: a flat folder of SAR chips ``test/SAR_<id>.png`` and, for
evaluation only, a labels file (``id,class``) and an OOD id list.
"""
import csv
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset
from PIL import Image, UnidentifiedImageError

from ifkd.registry import DATASETS
from .eo_sar_classes import EO_SAR_CLASSES

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp')
OOD_LABEL = -1
MODALITY_DIRS = {'eo': ('train/EO', 'EO_'), 'sar': ('train/SAR', 'SAR_')}


def check_image(path: str) -> None:
    """Fail early, naming the file, if it is missing or has no readable
    image header."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'image {path} not found; check data_root.')
    try:
        with Image.open(path) as img:
            ok = min(img.size) > 0
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValueError(f'corrupt image {path}: {err}; replace or delete '
                         'the file.') from err
    if not ok:
        raise ValueError(f'corrupt image {path}: empty; replace or delete '
                         'the file.')


def scan_ids(folder: str, prefix: str) -> Dict[int, str]:
    """``{id: file name}`` of the images ``<prefix><id>.<ext>`` in
    ``folder``; an image named otherwise is an error."""
    pattern = re.compile(rf'^{re.escape(prefix)}(\d+)$')
    found: Dict[int, str] = {}
    for name in sorted(os.listdir(folder)):
        stem, ext = osp.splitext(name)
        if ext.lower() not in IMG_EXTENSIONS:
            continue
        match = pattern.match(stem)
        if not match:
            raise ValueError(
                f'{osp.join(folder, name)}: expected image names '
                f'{prefix}<id>{ext} (the challenge layout); rename or move '
                'the file.')
        found[int(match.group(1))] = name
    return found


def read_ids(path: str) -> List[int]:
    """Integer ids, one a line (blank lines skipped)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'id list {path} not found; check data_root '
                                'and the file name.')
    with open(path) as f:
        lines = [line.strip() for line in f if line.strip()]
    try:
        return [int(line) for line in lines]
    except ValueError as err:
        raise ValueError(f'{path}: ids must be integers, one a line '
                         f'({err}).') from err


def _mismatch(what: str, ids: Sequence[int]) -> str:
    shown = ', '.join(map(str, sorted(ids)[:5]))
    more = f' and {len(ids) - 5} more' if len(ids) > 5 else ''
    return f'{len(ids)} {what} ({shown}{more})'


@DATASETS.register_module()
class PairedEOSARDataset(BaseDataset):
    """EO and SAR chips of the same objects (``train/{EO,SAR}/<class>/``).

    Each item carries ``<modality>_path`` for every modality loaded,
    ``img_path`` (the first modality's file, so that a single-modality
    pipeline with ``LoadImageFromFile`` works unchanged), ``img_id`` and
    ``gt_label``. Built once, the dataset checks the layout and fails with
    the file or folder named: a class folder present in one modality only,
    an unknown class folder, a pair whose EO or SAR file is missing, a
    missing or unreadable image, an id of ``ann_file`` that has no pair.

    Args:
        data_root (str): The dataset root.
        modalities (Sequence[str]): Modalities to load, from ``'eo'`` and
            ``'sar'``. Defaults to both.
        ann_file (str): Optional id list (one id a line, relative to
            ``data_root``) selecting a split; ``''`` takes every pair.
        classes (Sequence[str]): Class names in label order. Defaults to
            the challenge's ten.
        pipeline (Sequence[dict]): Transforms.
        check_images (bool): Read each image header at build time.
        **kwargs: Other ``mmpretrain.datasets.BaseDataset`` arguments.
    """

    METAINFO = {'classes': EO_SAR_CLASSES}

    def __init__(self,
                 data_root: str = '',
                 modalities: Sequence[str] = ('eo', 'sar'),
                 ann_file: str = '',
                 classes: Sequence[str] = EO_SAR_CLASSES,
                 pipeline: Sequence = (),
                 check_images: bool = True,
                 **kwargs) -> None:
        unknown = set(modalities) - set(MODALITY_DIRS)
        if not modalities or unknown:
            raise ValueError(f'modalities must be a non-empty subset of '
                             f'{tuple(MODALITY_DIRS)}, got {modalities}.')
        self.modalities = tuple(modalities)
        self.check_images = check_images
        super().__init__(ann_file=ann_file, data_root=data_root,
                         classes=classes, pipeline=pipeline, **kwargs)

    def _class_folders(self) -> Dict[str, str]:
        """``{modality: folder}``; the class folders must agree."""
        folders, listing = {}, {}
        for m in self.modalities:
            folders[m] = osp.join(self.data_root, MODALITY_DIRS[m][0])
            if not osp.isdir(folders[m]):
                raise FileNotFoundError(
                    f'{folders[m]} not found: {m.upper()} chips go in '
                    f'{MODALITY_DIRS[m][0]}/<class>/ under data_root.')
            listing[m] = {d for d in os.listdir(folders[m])
                          if osp.isdir(osp.join(folders[m], d))}
        for m in self.modalities:
            for other in self.modalities:
                only = sorted(listing[m] - listing[other])
                if only:
                    raise ValueError(
                        f'class folder(s) {only} exist in {folders[m]} but '
                        f'not in {folders[other]}: every class needs both '
                        'modalities; add the missing folder or remove it.')
        unknown = sorted(listing[self.modalities[0]] -
                         set(self.metainfo['classes']))
        if unknown:
            raise ValueError(
                f'unknown class folder(s) {unknown} in '
                f'{folders[self.modalities[0]]}; known classes: '
                f'{list(self.metainfo["classes"])}. Pass classes=... or '
                'remove the folders.')
        return folders

    def _pairs(self, folders: Dict[str, str],
               name: str) -> Dict[int, Dict[str, str]]:
        """``{id: {modality: path}}`` of one class; unpaired ids fail."""
        found = {
            m: scan_ids(osp.join(folders[m], name), MODALITY_DIRS[m][1])
            for m in self.modalities
        }
        first = self.modalities[0]
        for m in self.modalities[1:]:
            for a, b in ((first, m), (m, first)):
                lonely = set(found[a]) - set(found[b])
                if lonely:
                    raise ValueError(
                        f'{_mismatch("chip(s)", lonely)} of class {name!r} '
                        f'have a {a.upper()} file but no {b.upper()} '
                        f'partner in {osp.join(folders[b], name)}: each '
                        f'pair needs {MODALITY_DIRS["eo"][1]}<id> and '
                        f'{MODALITY_DIRS["sar"][1]}<id>; add the missing '
                        'file or remove its partner.')
        return {
            i: {m: osp.join(folders[m], name, found[m][i])
                for m in self.modalities}
            for i in found[first]
        }

    def load_data_list(self) -> List[dict]:
        folders = self._class_folders()
        classes = self.metainfo['classes']
        items = []
        for label, name in enumerate(classes):
            if not osp.isdir(osp.join(folders[self.modalities[0]], name)):
                continue
            for i, paths in sorted(self._pairs(folders, name).items()):
                item = dict(img_id=i, gt_label=label,
                            img_path=paths[self.modalities[0]])
                item.update({f'{m}_path': p for m, p in paths.items()})
                items.append(item)
        if self.ann_file:
            wanted = read_ids(self.ann_file)
            by_id = {item['img_id']: item for item in items}
            missing = set(wanted) - set(by_id)
            if missing:
                raise ValueError(
                    f'{self.ann_file} lists {_mismatch("id(s)", missing)} '
                    f'that have no chips under {self.data_root}; fix the '
                    'list or the data.')
            items = [by_id[i] for i in wanted]
        if not items:
            raise ValueError(f'no chips of classes {list(classes)} under '
                             f'{folders}; check data_root.')
        if self.check_images:
            for item in items:
                for m in self.modalities:
                    check_image(item[f'{m}_path'])
        counts = {c: 0 for c in classes}
        for item in items:
            counts[classes[item['gt_label']]] += 1
        MMLogger.get_current_instance().info(
            f'PairedEOSARDataset {self.data_root} {self.modalities}: '
            f'{len(items)} objects, {counts}')
        return items


@DATASETS.register_module()
class EOSARTestDataset(BaseDataset):
    """A flat folder of test chips ``<prefix><id>.<ext>`` (SAR only in the
    challenge), with ids, and for evaluation labels and an OOD list.

    ``gt_label`` is the class index of a labelled chip, ``-1``
    (``OOD_LABEL``) for a chip of ``ood_file``; without ``labels_file``
    items carry no label (a blind test set). The id list must match the
    folder exactly, and with a labels file every id must be labelled or
    listed as OOD.

    Args:
        data_root (str): The dataset root.
        img_dir (str): The chip folder under ``data_root``. Defaults to
            ``'test'``.
        prefix (str): File name prefix before the id. Defaults to 'SAR_'.
        ids_file (str, optional): Id list under ``data_root``; None takes
            every chip of ``img_dir``. Defaults to ``'test/ids.txt'``.
        labels_file (str, optional): ``id,class`` csv with a header.
        ood_file (str, optional): Ids of the OOD chips, one a line.
        classes (Sequence[str]): Class names in label order.
        pipeline (Sequence[dict]): Transforms.
        **kwargs: Other ``mmpretrain.datasets.BaseDataset`` arguments.
    """

    METAINFO = {'classes': EO_SAR_CLASSES}

    def __init__(self,
                 data_root: str = '',
                 img_dir: str = 'test',
                 prefix: str = 'SAR_',
                 ids_file: Optional[str] = 'test/ids.txt',
                 labels_file: Optional[str] = None,
                 ood_file: Optional[str] = None,
                 classes: Sequence[str] = EO_SAR_CLASSES,
                 pipeline: Sequence = (),
                 **kwargs) -> None:
        join = (lambda p: osp.join(data_root, p) if p else None)
        self.img_dir, self.prefix = join(img_dir), prefix
        self.ids_file = join(ids_file)
        self.labels_file, self.ood_file = join(labels_file), join(ood_file)
        kwargs.setdefault('test_mode', True)
        super().__init__(ann_file='', data_root=data_root, classes=classes,
                         pipeline=pipeline, **kwargs)

    def _labels(self, ids: Sequence[int]) -> Optional[Dict[int, int]]:
        """``{id: label}`` or None without a labels file."""
        if self.labels_file is None:
            return None
        classes = self.metainfo['classes']
        labels: Dict[int, int] = {}
        with open(self.labels_file, newline='') as f:
            rows = list(csv.reader(f))
        for row in rows[1:]:
            if not row:
                continue
            if len(row) != 2 or row[1] not in classes:
                raise ValueError(
                    f'{self.labels_file}: bad row {row}; rows are id,class '
                    f'with class one of {list(classes)}.')
            labels[int(row[0])] = classes.index(row[1])
        for i in read_ids(self.ood_file) if self.ood_file else []:
            labels[i] = OOD_LABEL
        unlabelled = set(ids) - set(labels)
        if unlabelled:
            raise ValueError(
                f'{_mismatch("test id(s)", unlabelled)} are neither in '
                f'{self.labels_file} nor in the OOD list {self.ood_file}; '
                'label them or pass the OOD list (ood_file=...).')
        return labels

    def load_data_list(self) -> List[dict]:
        if not osp.isdir(self.img_dir):
            raise FileNotFoundError(f'test folder {self.img_dir} not found; '
                                    'check data_root and img_dir.')
        files = scan_ids(self.img_dir, self.prefix)
        ids = read_ids(self.ids_file) if self.ids_file else sorted(files)
        for extra, problem in ((set(ids) - set(files), 'have no file'),
                               (set(files) - set(ids), 'are not listed')):
            if extra:
                raise ValueError(
                    f'the test id list {self.ids_file} does not match '
                    f'{self.img_dir}: {_mismatch("id(s)", extra)} '
                    f'{problem}. Regenerate the id list from the folder or '
                    'restore the files.')
        if not ids:
            raise ValueError(f'no test chips in {self.img_dir}.')
        labels = self._labels(ids)
        items = []
        for i in ids:
            path = osp.join(self.img_dir, files[i])
            check_image(path)
            item = dict(img_id=i, img_path=path)
            if labels is not None:
                item['gt_label'] = labels[i]
            items.append(item)
        return items

    def is_ood(self) -> List[bool]:
        """Per item: listed as OOD (needs ``ood_file``)."""
        return [self.get_data_info(i).get('gt_label') == OOD_LABEL
                for i in range(len(self))]

