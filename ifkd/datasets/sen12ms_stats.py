"""Per-band normalisation statistics of a SEN12MS / SEN12MS-CR split
(the library side of ``tools/analysis_tools/sen12ms_band_stats.py``).

Mean and standard deviation of every band of the clear S2 tiles
(reflectance, DN / 10000 clipped to [0, 1]) and of the S1 tiles (dB clipped
to [-25, 0]), read through ``ifkd.LoadSEN12MSPatch`` exactly as training
reads them.
"""
import json
import os.path as osp
from typing import Optional

import numpy as np

STATS_FILE = 'band_stats.json'


def band_stats(data_root: str, split: str, layout: str = 'sen12ms-cr',
               s2_modality: str = 's2') -> dict:
    """``{'s2': {'mean', 'std'}, 's1': {...}, ...}`` over every pixel of
    the split (float64 sums; population std)."""
    from .sen12ms import SEN12MSDataset
    from .transforms.load_sen12ms import LoadSEN12MSPatch
    dataset = SEN12MSDataset(data_root=data_root, ann_file=split,
                             layout=layout, modalities=(s2_modality, 's1'),
                             lazy_init=False)
    loader = LoadSEN12MSPatch(keys=dict(s2=s2_modality, s1='s1'),
                              cloud_mask=None)
    sums = {m: [0., 0., 0] for m in ('s2', 's1')}
    for i in range(len(dataset)):
        item = loader(dict(dataset.get_data_info(i)))
        for m, acc in sums.items():
            x = item[m].reshape(-1, item[m].shape[-1]).astype(np.float64)
            acc[0] = acc[0] + x.sum(0)
            acc[1] = acc[1] + (x**2).sum(0)
            acc[2] += len(x)
    stats = dict(source=f'{split} of {data_root} ({len(dataset)} patches)',
                 s2_from=s2_modality)
    for m, (s, sq, n) in sums.items():
        mean = s / n
        std = np.sqrt(np.maximum(sq / n - mean**2, 0.))
        stats[m] = dict(mean=[round(float(v), 6) for v in mean],
                        std=[round(float(v), 6) for v in std])
    return stats


def write_band_stats(data_root: str, split: str,
                     out: Optional[str] = None, **kwargs) -> str:
    """Compute and store the statistics; returns the file written."""
    out = out or osp.join(data_root, STATS_FILE)
    with open(out, 'w') as f:
        json.dump(band_stats(data_root, split, **kwargs), f, indent=1)
    return out
