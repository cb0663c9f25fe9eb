"""SEN12MS (Schmitt et al., 2019) and SEN12MS-CR (Ebel et al., 2020) scene
patches: Sentinel-2 (13 bands), Sentinel-1 (VV, VH) and, in SEN12MS-CR,
cloudy Sentinel-2 of the same 256 x 256 patch.

Layouts (``<rs>`` is ``ROIsXXXX_<season>``, ``N`` the scene, ``K`` the
patch)::

    SEN12MS                          SEN12MS-CR
    <rs>/s2_N/<rs>_s2_N_pK.tif       <rs>_s2/s2_N/<rs>_s2_N_pK.tif
    <rs>/s1_N/<rs>_s1_N_pK.tif       <rs>_s1/s1_N/<rs>_s1_N_pK.tif
                                     <rs>_s2_cloudy/s2_cloudy_N/
                                         <rs>_s2_cloudy_N_pK.tif

Optional cloud masks (SEN12MS-CR ships none) sit next to them as
``<rs>_cloudmask/cloudmask_N/<rs>_cloudmask_N_pK.tif``. Scene labels come
from ``IGBP_probability_labels.pkl`` of the SEN12MS classification code
(https://github.com/schmitt-muc/SEN12MS): a dict from the S2 file name to
the 17 IGBP class fractions of the patch, mapped to the 10 simplified
classes; the single label is their argmax. Data: https://mediatum.ub.tum.de
/1474000 (SEN12MS), https://mediatum.ub.tum.de/1554803 (SEN12MS-CR).
"""
import glob
import os.path as osp
import pickle
import re
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset

from ifkd.registry import DATASETS

IGBP_CLASSES = (
    'Evergreen Needleleaf Forest', 'Evergreen Broadleaf Forest',
    'Deciduous Needleleaf Forest', 'Deciduous Broadleaf Forest',
    'Mixed Forest', 'Closed Shrublands', 'Open Shrublands', 'Woody Savannas',
    'Savannas', 'Grasslands', 'Permanent Wetlands', 'Croplands',
    'Urban and Built-Up', 'Cropland/Natural Vegetation Mosaic',
    'Permanent Snow and Ice', 'Barren', 'Water Bodies')
SIMPLIFIED_CLASSES = ('Forest', 'Shrubland', 'Savanna', 'Grassland',
                      'Wetlands', 'Croplands', 'Urban/Built-up', 'Snow/Ice',
                      'Barren', 'Water')
# IGBP indices summed into each simplified class (SEN12MS classification
# code: [sum 0:5, sum 5:7, sum 7:9, 9, 10, 11 + 13, 12, 14, 15, 16]).
IGBP_TO_SIMPLIFIED = ((0, 1, 2, 3, 4), (5, 6), (7, 8), (9, ), (10, ),
                      (11, 13), (12, ), (14, ), (15, ), (16, ))
S2_BANDS = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9',
            'B10', 'B11', 'B12')
S1_BANDS = ('VV', 'VH')
# 1-based S2 bands of the SEN12MS classification code: B2-B8A, B11, B12.
SEN12MS_CLS_BANDS = (2, 3, 4, 5, 6, 7, 8, 9, 12, 13)
LABEL_FILE = 'IGBP_probability_labels.pkl'
# What each modality's file is called, per layout ('{rs}', '{n}', '{k}').
LAYOUTS = {
    'sen12ms-cr': {
        's2': '{rs}_s2/s2_{n}/{rs}_s2_{n}_p{k}.tif',
        's1': '{rs}_s1/s1_{n}/{rs}_s1_{n}_p{k}.tif',
        's2_cloudy': ('{rs}_s2_cloudy/s2_cloudy_{n}/'
                      '{rs}_s2_cloudy_{n}_p{k}.tif'),
        'cloud_mask': ('{rs}_cloudmask/cloudmask_{n}/'
                       '{rs}_cloudmask_{n}_p{k}.tif'),
    },
    'sen12ms': {
        's2': '{rs}/s2_{n}/{rs}_s2_{n}_p{k}.tif',
        's1': '{rs}/s1_{n}/{rs}_s1_{n}_p{k}.tif',
        'cloud_mask': '{rs}/cloudmask_{n}/{rs}_cloudmask_{n}_p{k}.tif',
    },
}
S2_NAME = re.compile(r'^(?P<rs>ROIs\d+_[a-z]+)_s2_(?P<n>\d+)_p(?P<k>\d+)'
                     r'\.tif$')


def igbp_to_simplified(probs: Sequence[float]) -> np.ndarray:
    """Map 17 IGBP class fractions to the 10 simplified classes."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.shape != (len(IGBP_CLASSES), ):
        raise ValueError(f'an IGBP label has {probs.shape} entries; '
                         f'expected {len(IGBP_CLASSES)} class fractions.')
    return np.array([probs[list(group)].sum() for group in IGBP_TO_SIMPLIFIED])


def simplified_label(probs: Sequence[float]) -> int:
    """Single label of a patch: argmax of its simplified fractions (the
    first class on a tie, as numpy's argmax)."""
    return int(np.argmax(igbp_to_simplified(probs)))


def patch_paths(s2_name: str, layout: str = 'sen12ms-cr') -> Dict[str, str]:
    """Relative path of every modality of the patch whose clear S2 file is
    ``s2_name`` (the S1 name swaps ``_s2_`` for ``_s1_``)."""
    match = S2_NAME.match(osp.basename(s2_name))
    if match is None:
        raise ValueError(
            f'{s2_name!r} is not a SEN12MS S2 file name '
            '(ROIsXXXX_<season>_s2_<scene>_p<patch>.tif); list S2 names in '
            'the split file.')
    if layout not in LAYOUTS:
        raise ValueError(f'unknown layout {layout!r}; use one of '
                         f'{sorted(LAYOUTS)}.')
    return {m: pattern.format(**match.groupdict())
            for m, pattern in LAYOUTS[layout].items()}


class _LabelUnpickler(pickle.Unpickler):
    """Rebuilds only dicts, lists, strings and plain numeric numpy arrays
    (the label and split pickles of SEN12MS), through ifkd's restricted
    checkpoint factories: a crafted file cannot run code."""

    def find_class(self, module: str, name: str):
        from ifkd.compat.safe_load import _safe_globals
        allowed = {path: obj for obj, path in _safe_globals()}
        if f'{module}.{name}' not in allowed:
            raise pickle.UnpicklingError(
                f'{module}.{name} is not allowed in a SEN12MS label/split '
                'pickle (only dicts, lists, strings and numeric arrays).')
        return allowed[f'{module}.{name}']


def load_pickle(path: str):
    """A SEN12MS label or split pickle, restricted to plain data."""
    with open(path, 'rb') as f:
        return _LabelUnpickler(f).load()


def read_split(path: str) -> List[str]:
    """S2 file names of a split: a ``.pkl`` list (SEN12MS's
    ``train_list.pkl``) or a text file, one name a line."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'split file {path} not found; set ann_file '
                                'to a .txt/.pkl list of S2 file names.')
    if path.endswith('.pkl'):
        names = [str(n) for n in load_pickle(path)]
    else:
        with open(path) as f:
            names = [line.strip() for line in f if line.strip()]
    if not names:
        raise ValueError(f'split {path} lists no patches; regenerate it or '
                         'point ann_file at a non-empty split.')
    return names


@DATASETS.register_module()
class SEN12MSDataset(BaseDataset):
    """SEN12MS / SEN12MS-CR patches with simplified IGBP scene labels.

    Items hold the path of each modality in ``modalities`` (keys
    ``<modality>_path``) and, when it exists, of the cloud mask; images are
    read by ``ifkd.LoadSEN12MSPatch``. Every listed patch must have a file
    for each of ``modalities`` and a label: a missing partner (e.g. the S1
    file of an S2 patch) or an empty split fails when the dataset is
    built, naming the file.

    Args:
        data_root (str): Root of the layout.
        ann_file (str): Split (``.txt`` of S2 file names, or SEN12MS's
            ``.pkl`` lists), relative to ``data_root``; ``''`` uses every
            S2 patch under the root.
        layout (str): ``'sen12ms-cr'`` or ``'sen12ms'``.
        modalities (Sequence[str]): Files each patch must have: ``'s2'``
            (clear), ``'s1'``, ``'s2_cloudy'`` (SEN12MS-CR only).
        label_file (str): The IGBP label pickle, relative to ``data_root``.
        pipeline (Sequence[dict]): Transforms.
        **kwargs: Other ``mmpretrain.datasets.BaseDataset`` arguments.
    """

    METAINFO = {'classes': SIMPLIFIED_CLASSES}

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = 'splits/train.txt',
                 layout: str = 'sen12ms-cr',
                 modalities: Sequence[str] = ('s2_cloudy', 's1'),
                 label_file: str = LABEL_FILE,
                 pipeline: Sequence = (),
                 **kwargs):
        unknown = set(modalities) - set(LAYOUTS.get(layout, {}))
        if layout not in LAYOUTS or unknown or 'cloud_mask' in modalities:
            raise ValueError(
                f'modalities {tuple(modalities)} / layout {layout!r}: the '
                f"layouts are {sorted(LAYOUTS)}; 'sen12ms-cr' has s2, s1 and "
                "s2_cloudy, 'sen12ms' s2 and s1.")
        self.layout = layout
        self.modalities = tuple(modalities)
        self.label_file = label_file
        super().__init__(ann_file=ann_file, data_root=data_root,
                         pipeline=pipeline, **kwargs)

    def scan(self) -> List[str]:
        """Every S2 patch of the layout under ``data_root``."""
        pattern = LAYOUTS[self.layout]['s2'].replace('{rs}', 'ROIs*')
        pattern = pattern.replace('{n}', '*').replace('{k}', '*')
        names = sorted(osp.basename(p)
                       for p in glob.glob(osp.join(self.data_root, pattern)))
        names = [n for n in names if S2_NAME.match(n)]
        if not names:
            raise ValueError(f'no S2 patches ({pattern}) under '
                             f'{self.data_root!r}; check data_root and '
                             'layout.')
        return names

    def load_data_list(self) -> List[dict]:
        names = read_split(self.ann_file) if self.ann_file else self.scan()
        labels = load_pickle(osp.join(self.data_root, self.label_file))
        data_list = []
        for name in names:
            if name not in labels:
                raise KeyError(
                    f'{name} has no entry in {self.label_file}; the label '
                    'pickle maps S2 file names to 17 IGBP fractions.')
            rel = patch_paths(name, self.layout)
            item = dict(gt_label=simplified_label(labels[name]),
                        s2_name=name, data_root=self.data_root)
            for modality in self.modalities:
                path = osp.join(self.data_root, rel[modality])
                if not osp.isfile(path):
                    raise FileNotFoundError(
                        f'{name}: its {modality} partner {path} is missing. '
                        f'Every patch needs {self.modalities} files '
                        f'({self.layout} layout); remove the patch from '
                        'the split or restore the file.')
                item[f'{modality}_path'] = path
            mask = osp.join(self.data_root, rel['cloud_mask'])
            item['cloud_mask_path'] = mask if osp.isfile(mask) else None
            data_list.append(item)
        counts = np.bincount([d['gt_label'] for d in data_list],
                             minlength=len(SIMPLIFIED_CLASSES))
        MMLogger.get_current_instance().info(
            f'SEN12MS {self.ann_file or self.data_root}: {len(data_list)} '
            f'patches, class counts {counts.tolist()}')
        return data_list
