"""Reading SEN12MS / SEN12MS-CR patches (multi-band GeoTIFFs via rasterio)."""
import json
import os.path as osp
from typing import Dict, Optional, Sequence

import warnings

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from mmcv.transforms import BaseTransform
from mmengine.logging import MMLogger

from ifkd.registry import TRANSFORMS
from ..cloud_mask import derive_cloud_mask

NUM_BANDS = {'s2': 13, 's2_cloudy': 13, 's1': 2}
S2_MAX_DN = 10000.  # S2 L1C digital numbers are reflectance x 10000
S1_DB_RANGE = (-25., 0.)  # SEN12MS's clip of the S1 backscatter (dB)
CLOUD_MASK_MODES = ('auto', 'file', 'derive', None)


def read_tile(path: str) -> np.ndarray:
    """A GeoTIFF as (H, W, C) float32, whatever its interleave or
    compression (GDAL through rasterio)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                data = src.read()
    except RasterioIOError as e:
        raise OSError(f'cannot read {path} as a GeoTIFF ({e}); the file is '
                      'corrupt or not a tile of the dataset.') from e
    return np.moveaxis(data, 0, -1).astype(np.float32)


def scale_modality(data: np.ndarray, modality: str) -> np.ndarray:
    """S2 digital numbers to reflectance in [0, 1]; S1 dB clipped to
    [-25, 0] (as the SEN12MS classification code)."""
    if modality == 's1':
        return np.clip(data, *S1_DB_RANGE)
    return np.clip(data, 0., S2_MAX_DN) / S2_MAX_DN


@TRANSFORMS.register_module()
class LoadSEN12MSPatch(BaseTransform):
    """Read the modalities of a ``ifkd.SEN12MSDataset`` item.

    Each read tile is checked (band count; NaN / inf no-data), scaled
    (:func:`scale_modality`), band-selected (S2 only) and normalised with
    the per-band statistics of ``tools/analysis_tools/sen12ms_band_stats.py``
    (the clear-S2 statistics serve cloudy S2 too: same sensor, and the
    source model was trained with them). With ``cloud_mask`` set it also
    adds ``cloud_mask`` (H, W) and ``cloud_cover`` (its mean).

    No-data is never passed on silently: ``nodata='error'`` (default) fails
    naming the file; ``'fill'`` replaces each no-data value by its band's
    mean (0 after normalisation) and logs a warning with the count.

    Args:
        keys (dict[str, str]): Results key -> modality (``'s2'``,
            ``'s2_cloudy'``, ``'s1'``), e.g. ``dict(img='s2')`` or
            ``dict(opt_img='s2_cloudy', sar_img='s1')``.
        s2_bands (Sequence[int], optional): 1-based S2 bands to keep, e.g.
            ``ifkd.datasets.sen12ms.SEN12MS_CLS_BANDS``; all 13 if None.
        band_stats (str, optional): JSON of per-band ``mean`` / ``std`` of
            ``s2`` and ``s1``, relative to the item's ``data_root`` (or
            absolute); None keeps scaled values.
        nodata (str): ``'error'`` or ``'fill'``.
        clip (float, optional): Clip normalised values to ``[-clip,
            clip]`` (standard deviations). Clouds are far brighter than any
            clear pixel in bands of small clear-sky spread (B10 cirrus: a
            cloud is ~100 std above the clear mean), and unclipped they
            swamp every pooled feature. None: no clipping.
        cloud_mask (str, optional): ``'auto'`` reads the item's mask file
            and derives the mask from the cloudy S2 when there is none
            (``ifkd.datasets.cloud_mask``); ``'file'`` requires the file;
            ``'derive'`` always derives; None adds no mask.
        mask_clouds (bool): Set the clouded pixels of cloudy S2 (the
            cloud mask) to the band mean (0 after normalisation), as
            optical processing masks invalid pixels: a cloud then reads as
            missing evidence, not as a bright surface. Needs ``cloud_mask``.
        cache (bool): Keep every loaded array in memory (small sets, read
            every epoch in one process). Defaults to False.
    """

    def __init__(self,
                 keys: Dict[str, str],
                 s2_bands: Optional[Sequence[int]] = None,
                 band_stats: Optional[str] = None,
                 nodata: str = 'error',
                 clip: Optional[float] = None,
                 cloud_mask: Optional[str] = 'auto',
                 mask_clouds: bool = False,
                 cache: bool = False) -> None:
        unknown = set(keys.values()) - set(NUM_BANDS)
        if not keys or unknown:
            raise ValueError(f'LoadSEN12MSPatch keys {keys}: each modality '
                             f'must be one of {sorted(NUM_BANDS)}.')
        if nodata not in ('error', 'fill') or (cloud_mask
                                               not in CLOUD_MASK_MODES):
            raise ValueError(f"nodata={nodata!r} must be 'error' or 'fill', "
                             f'cloud_mask={cloud_mask!r} one of '
                             f'{CLOUD_MASK_MODES}.')
        self.keys = dict(keys)
        self.s2_bands = None if s2_bands is None else [
            self._band_index(b) for b in s2_bands
        ]
        self.band_stats = band_stats
        self._stats: Dict[str, dict] = {}
        self.nodata = nodata
        self.clip = clip
        if mask_clouds and cloud_mask is None:
            raise ValueError('mask_clouds=True needs a cloud_mask mode.')
        self.mask_clouds = mask_clouds
        self.cache: Optional[Dict[tuple, np.ndarray]] = {} if cache else None
        self.cloud_mask = cloud_mask

    @staticmethod
    def _band_index(band: int) -> int:
        if not 1 <= band <= NUM_BANDS['s2']:
            raise ValueError(f's2_bands entry {band}: S2 bands are 1-based, '
                             f'1..{NUM_BANDS["s2"]}.')
        return band - 1

    @staticmethod
    def _load_stats(path: str) -> dict:
        try:
            with open(path) as f:
                stats = json.load(f)
        except FileNotFoundError:
            raise FileNotFoundError(
                f'band statistics {path} not found; compute them with '
                'tools/analysis_tools/sen12ms_band_stats.py DATA_ROOT.')
        for modality in ('s2', 's1'):
            entry = stats.get(modality, {})
            if len(entry.get('mean', ())) != NUM_BANDS[modality]:
                raise ValueError(f'{path}: {modality} needs a mean and std '
                                 f'for each of its {NUM_BANDS[modality]} '
                                 'bands; recompute the statistics.')
        return stats

    def _select(self, data: np.ndarray, modality: str) -> np.ndarray:
        if modality != 's1' and self.s2_bands is not None:
            return data[..., self.s2_bands]
        return data

    def _stats_of(self, results: dict) -> Optional[dict]:
        if not self.band_stats:
            return None
        path = osp.join(results.get('data_root', ''), self.band_stats)
        if path not in self._stats:
            self._stats[path] = self._load_stats(path)
        return self._stats[path]

    def _band_stats(self, modality: str,
                    stats: Optional[dict]) -> Optional[tuple]:
        """(mean, std) of the kept bands, or None without statistics."""
        if stats is None:
            return None
        entry = stats['s1' if modality == 's1' else 's2']
        mean, std = (np.asarray(entry[k], np.float32) for k in ('mean', 'std'))
        if modality != 's1' and self.s2_bands is not None:
            mean, std = mean[self.s2_bands], std[self.s2_bands]
        return mean, np.maximum(std, 1e-6)

    def _handle_nodata(self, data: np.ndarray, path: str,
                       fill: np.ndarray) -> np.ndarray:
        bad = ~np.isfinite(data)
        if not bad.any():
            return data
        if self.nodata == 'error':
            raise ValueError(
                f'{path} has {int(bad.sum())} NaN/inf (no-data) values. '
                "Set LoadSEN12MSPatch(nodata='fill') to replace them by the "
                'band mean, or drop the patch from the split.')
        MMLogger.get_current_instance().warning(
            f'{path}: {int(bad.sum())} no-data values filled with the band '
            'mean.')
        return np.where(bad, fill, data)

    def load(self, path: str, modality: str,
             stats: Optional[dict] = None) -> np.ndarray:
        """One modality: read, check, scale, select bands, normalise."""
        data = read_tile(path)
        if data.shape[-1] != NUM_BANDS[modality]:
            raise ValueError(
                f'{path} has {data.shape[-1]} bands; a {modality} tile has '
                f'{NUM_BANDS[modality]}. Select bands with s2_bands, not '
                'by editing the files, and match the model in_channels.')
        data = self._select(scale_modality(data, modality), modality)
        stats = self._band_stats(modality, stats)
        fill = np.zeros(data.shape[-1], np.float32) if stats is None else (
            stats[0])
        data = self._handle_nodata(data, path, fill)
        if stats is not None:
            data = (data - stats[0]) / stats[1]
        if self.clip is not None:
            data = np.clip(data, -self.clip, self.clip)
        return data.astype(np.float32)

    def _cloud_mask(self, results: dict) -> np.ndarray:
        path = results.get('cloud_mask_path')
        if path and self.cloud_mask in ('auto', 'file'):
            return (read_tile(path)[..., 0] > 0.5).astype(np.float32)
        if self.cloud_mask == 'file':
            raise FileNotFoundError(
                f'{results.get("s2_name")}: no cloud mask file; use '
                "cloud_mask='auto' to derive it from the cloudy S2.")
        if not results.get('s2_cloudy_path'):
            raise ValueError(
                f'{results.get("s2_name")}: deriving a cloud mask needs the '
                "cloudy S2 tile; add 's2_cloudy' to the dataset's "
                'modalities or provide mask files.')
        s2 = scale_modality(read_tile(results['s2_cloudy_path']), 's2')
        return derive_cloud_mask(s2)

    def _cached(self, key: tuple, make) -> np.ndarray:
        if self.cache is None:
            return make()
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key].copy()

    def transform(self, results: dict) -> dict:
        if self.cloud_mask is not None:
            mask = self._cached(('mask', results.get('s2_name')),
                                lambda: self._cloud_mask(results))
            results['cloud_mask'] = mask
            results['cloud_cover'] = float(mask.mean())
        for key, modality in self.keys.items():
            path = results.get(f'{modality}_path')
            if not path:
                raise KeyError(
                    f'{results.get("s2_name")}: no {modality} file in the '
                    f"item; add {modality!r} to the dataset's modalities.")
            stats = self._stats_of(results)
            results[key] = self._cached(
                (path, modality),
                lambda: self.load(path, modality, stats))
            if self.mask_clouds and modality == 's2_cloudy':
                results[key][results['cloud_mask'] > 0] = 0.
        shape = results[next(iter(self.keys))].shape[:2]
        results['img_shape'] = results['ori_shape'] = shape
        return results
