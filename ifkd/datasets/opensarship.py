"""OpenSARShip ship patches (Sentinel-1 SAR-AIS matchups, Huang et al.,
2017, https://doi.org/10.1109/JSTARS.2017.2755672).

Each Sentinel-1 scene folder holds patch folders (``Patch``, ``Patch_Cal``,
``Patch_RGB``, ...) whose files are named ``<AIS type>_<...>_<pol>.<ext>``,
e.g. ``Cargo_x4123_y2211_vv.png``. The type is the label; the seed study
used the ``Patch_RGB`` VV patches, which is the default here.
"""
import os
import os.path as osp
from typing import Dict, List, Optional

from ifkd.registry import DATASETS
from .ship_chips import ShipChipDataset
from .ship_classes import OPENSARSHIP_CLASS_MAP
from .ship_splits import IMG_EXTENSIONS, Sample


def parse_patch_name(fname: str) -> tuple:
    """``(AIS type, polarisation)`` of a patch file name."""
    stem = osp.splitext(fname)[0]
    fields = stem.split('_')
    if len(fields) < 2:
        raise ValueError(
            f'patch file {fname} is not named <AIS type>_..._<pol>.<ext>; '
            f'rename it or move it out of the OpenSARShip tree')
    return fields[0], fields[-1].lower()


def scan_opensarship(root: str,
                     patch_dir: Optional[str] = 'Patch_RGB',
                     polarization: Optional[str] = 'vv',
                     type_map: Optional[Dict[str, str]] = None
                     ) -> List[Sample]:
    """List the patches of an OpenSARShip tree as ``(path, class)``.

    Patches of AIS types outside ``type_map`` (Tug, Passenger, Other, ...)
    are skipped.

    Args:
        root (str): The OpenSARShip root (scene folders below it, at any
            depth).
        patch_dir (str, optional): Only files in folders of this name;
            ``None`` for any folder. Defaults to ``'Patch_RGB'``.
        polarization (str, optional): Only this polarisation (``'vv'`` or
            ``'vh'``); ``None`` for both. Defaults to ``'vv'``.
        type_map (dict, optional): AIS type -> class. Defaults to
            ``OPENSARSHIP_CLASS_MAP`` (Cargo, Fishing, Tanker).

    Returns:
        list[tuple]: Samples sorted by path, paths relative to ``root``.
    """
    type_map = OPENSARSHIP_CLASS_MAP if type_map is None else type_map
    if not osp.isdir(root):
        raise FileNotFoundError(f'OpenSARShip root {root} not found; point '
                                f'data_root / --opensarship at the folder '
                                f'that holds the scene folders')
    samples = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        if patch_dir is not None and osp.basename(dirpath) != patch_dir:
            continue
        for fname in sorted(filenames):
            if not fname.lower().endswith(IMG_EXTENSIONS):
                continue
            ais_type, pol = parse_patch_name(fname)
            if ais_type not in type_map or (polarization
                                            and pol != polarization.lower()):
                continue
            rel = osp.relpath(osp.join(dirpath, fname), root)
            samples.append((rel.replace(os.sep, '/'), type_map[ais_type]))
    return samples


@DATASETS.register_module()
class OpenSARShipDataset(ShipChipDataset):
    """OpenSARShip patches as Cargo / Fishing / Tanker.

    The split files come from
    ``tools/dataset_converters/ship_dataset_prep.py --opensarship ROOT``::

        dict(type='ifkd.OpenSARShipDataset', data_root='data/OpenSARShip/',
             ann_file='splits/train.txt', pipeline=...)

    Args:
        patch_dir (str, optional): See :func:`scan_opensarship`; used when
            ``ann_file=''``.
        polarization (str, optional): See :func:`scan_opensarship`.
        type_map (dict, optional): See :func:`scan_opensarship`.
        **kwargs: See :class:`ShipChipDataset`.
    """

    def __init__(self, *args,
                 patch_dir: Optional[str] = 'Patch_RGB',
                 polarization: Optional[str] = 'vv',
                 type_map: Optional[Dict[str, str]] = None, **kwargs):
        self.patch_dir = patch_dir
        self.polarization = polarization
        self.type_map = type_map
        super().__init__(*args, **kwargs)

    def scan(self) -> List[Sample]:
        return scan_opensarship(self.data_root, self.patch_dir,
                                self.polarization, self.type_map)
