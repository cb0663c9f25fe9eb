"""FUSAR-Ship 1.0 (Gaofen-3 SAR-AIS matchup chips, Hou et al., 2020).

Release layout: ``<root>/<category>/<subcategory>/Ship_CxxSyyNzzzz.tiff``,
512 x 512 single-channel chips with the ship at the centre, and
``meta.csv`` at the root. See https://doi.org/10.1007/s11432-019-2772-5.
"""
import os
import os.path as osp
from typing import Dict, List, Optional

from ifkd.registry import DATASETS
from .ship_chips import ShipChipDataset
from .ship_classes import FUSAR_CATEGORIES, FUSAR_CLASS_MAP
from .ship_splits import IMG_EXTENSIONS, SPLIT_DIR, Sample

IGNORED_DIRS = (SPLIT_DIR, '__MACOSX')


def scan_fusar(root: str,
               category_map: Optional[Dict[str, str]] = None
               ) -> List[Sample]:
    """List the chips of a FUSAR-Ship tree as ``(path, class)``.

    Category folders in ``category_map`` give their class to every image
    below them (any depth, so subcategory folders are optional); the other
    FUSAR-Ship categories are skipped. Any other folder is an error.

    Args:
        root (str): The folder holding the category folders.
        category_map (dict, optional): Category folder -> class name.
            Defaults to ``FUSAR_CLASS_MAP`` (Cargo, Fishing, Tanker).

    Returns:
        list[tuple]: Samples sorted by path, paths relative to ``root``
        with ``/`` separators.
    """
    category_map = FUSAR_CLASS_MAP if category_map is None else category_map
    if not osp.isdir(root):
        raise FileNotFoundError(f'FUSAR-Ship root {root} not found; point '
                                f'data_root / --fusar at the folder that '
                                f'holds Cargo/, Fishing/, Tanker/, ...')
    samples = []
    for name in sorted(os.listdir(root)):
        folder = osp.join(root, name)
        if not osp.isdir(folder) or name.startswith('.') or (
                name in IGNORED_DIRS):
            continue
        if name not in category_map:
            if name in FUSAR_CATEGORIES:
                continue
            raise ValueError(
                f'unknown class folder {folder}: not a FUSAR-Ship category '
                f'{FUSAR_CATEGORIES} nor mapped to a class. Point the root '
                f'at the folder holding the category folders, rename or '
                f'remove it, or map it (category_map={{{name!r}: '
                f"'Cargo'}}, ship_dataset_prep.py --category-map "
                f'{name}=Cargo)')
        samples += [(rel, category_map[name])
                    for rel in _images_under(root, name)]
    return samples


def _images_under(root: str, sub: str) -> List[str]:
    """Image paths below ``root/sub``, relative to ``root``, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(osp.join(root, sub)):
        dirnames.sort()
        for fname in sorted(filenames):
            if fname.lower().endswith(IMG_EXTENSIONS):
                rel = osp.relpath(osp.join(dirpath, fname), root)
                found.append(rel.replace(os.sep, '/'))
    return found


@DATASETS.register_module()
class FUSARShipDataset(ShipChipDataset):
    """FUSAR-Ship chips as Cargo / Fishing / Tanker.

    The split files come from
    ``tools/dataset_converters/ship_dataset_prep.py --fusar ROOT`` (or the
    synthetic generator, which writes the same layout)::

        dict(type='ifkd.FUSARShipDataset', data_root='data/FUSAR_Ship1.0/',
             ann_file='splits/train.txt', pipeline=...)

    Args:
        category_map (dict, optional): Category folder -> class, used when
            ``ann_file=''`` scans the tree. Defaults to ``FUSAR_CLASS_MAP``.
        **kwargs: See :class:`ShipChipDataset`.
    """

    def __init__(self, *args,
                 category_map: Optional[Dict[str, str]] = None, **kwargs):
        self.category_map = category_map
        super().__init__(*args, **kwargs)

    def scan(self) -> List[Sample]:
        return scan_fusar(self.data_root, self.category_map)
