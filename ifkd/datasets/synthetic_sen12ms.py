"""Synthetic cloudy scenes in the SEN12MS-CR layout.

Writes::

    out/
    ├── ROIs1158_spring_s2/s2_1/..._s2_1_p0.tif          # clear, uint16
    ├── ROIs1158_spring_s2_cloudy/s2_cloudy_1/..._p0.tif # cloudy, uint16
    ├── ROIs1158_spring_s1/s1_1/..._s1_1_p0.tif          # VV, VH dB
    ├── ROIs1158_spring_cloudmask/cloudmask_1/..._p0.tif      # uint8 0/1
    ├── IGBP_probability_labels.pkl   # S2 name -> 17 IGBP fractions
    ├── splits/source.txt, train.txt, test.txt
    └── synthetic.json                # the settings used

Each patch is a mix of a dominant land-cover class (60-90 % of its pixels)
and a second class, laid out by a smooth random field. Its IGBP fractions
name one or two IGBP classes of the dominant simplified class (so an IGBP
argmax can differ from the simplified one) and one of the second class.

* Optical: each of the 10 simplified classes has its own 13-band
  reflectance signature (:data:`SIGNATURES`), varied per patch (brightness,
  band jitter) and per pixel.
* SAR: class-dependent VV / VH backscatter (:data:`BACKSCATTER_DB`) with a
  per-patch offset (moisture, incidence angle) and multiplicative gamma
  speckle (``looks``). Some classes share backscatter (shrubland /
  savanna, grassland / croplands, snow / barren), so SAR alone is weaker
  than clear optical but does not see clouds.
* Clouds: bright, smooth, spatially coherent blobs over the optical bands
  only: a Gaussian-smoothed random field thresholded so that the patch's
  cloud cover, drawn uniformly from ``cloud_cover``, is covered, with soft
  edges; the cloud mask marks opacity > 0.5.

Splits: ``source`` (the cloud-free optical source domain, labelled),
``train`` (the cloudy target domain; its labels are for evaluation only)
and ``test``. Each patch is seeded by ``SeedSequence([seed, i])``, so the
same arguments give byte-identical files.
"""
import json
import os
import os.path as osp
import pickle
from typing import Dict, Sequence, Tuple

import warnings

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from scipy.ndimage import gaussian_filter

from .sen12ms import IGBP_CLASSES, IGBP_TO_SIMPLIFIED, LABEL_FILE, patch_paths

GENERATOR_FILE = 'synthetic.json'
GENERATOR_VERSION = 1
ROIS = ('ROIs1158_spring', 'ROIs1868_summer', 'ROIs1970_fall',
        'ROIs2017_winter')
# Reflectance of B1..B12 (incl. B8A, B10) per simplified class.
SIGNATURES = np.array([
    [.03, .03, .05, .03, .08, .22, .28, .30, .31, .10, .005, .14, .06],
    [.06, .06, .09, .10, .14, .20, .23, .25, .26, .09, .005, .26, .17],
    [.05, .06, .10, .08, .15, .25, .30, .32, .33, .11, .005, .22, .12],
    [.05, .05, .10, .07, .16, .30, .36, .38, .39, .12, .005, .25, .13],
    [.04, .04, .06, .05, .08, .14, .17, .18, .18, .06, .004, .09, .05],
    [.05, .06, .11, .09, .17, .27, .31, .34, .35, .12, .005, .30, .19],
    [.10, .11, .13, .14, .16, .17, .18, .19, .19, .08, .006, .22, .19],
    [.75, .74, .72, .70, .68, .64, .61, .59, .57, .30, .010, .08, .06],
    [.13, .15, .19, .24, .27, .29, .30, .31, .31, .12, .006, .38, .32],
    [.06, .06, .05, .03, .02, .01, .01, .01, .01, .00, .002, .01, .01],
], np.float64)
# Mean (VV, VH) backscatter in dB per simplified class.
BACKSCATTER_DB = np.array([(-7.0, -13.0), (-9.5, -16.0), (-9.5, -15.5),
                           (-11.5, -18.5), (-8.0, -17.0), (-11.0, -18.0),
                           (-3.5, -10.0), (-14.0, -21.5), (-14.5, -22.0),
                           (-20.0, -24.5)])
CLOUD_SPECTRUM = np.array(
    [.55, .56, .55, .55, .54, .54, .53, .53, .52, .35, .25, .45, .35])


def _blob_field(size: int, rng: np.random.Generator,
                sigma: float) -> np.ndarray:
    """Smooth zero-mean, unit-variance random field."""
    field = gaussian_filter(rng.standard_normal((size, size)), sigma,
                            mode='wrap')
    return (field - field.mean()) / (field.std() + 1e-12)


def _cover_map(field: np.ndarray, fraction: float) -> np.ndarray:
    """Pixels of ``field`` above its ``1 - fraction`` quantile."""
    if fraction <= 0:
        return np.zeros(field.shape, bool)
    return field >= np.quantile(field, 1. - fraction)


def _igbp_probs(dominant: int, second: int, share: float,
                rng: np.random.Generator) -> np.ndarray:
    """17 IGBP fractions of a patch: ``share`` for the dominant simplified
    class (split over two of its IGBP classes half the time), the rest for
    one IGBP class of the second."""
    probs = np.zeros(len(IGBP_CLASSES))
    group = IGBP_TO_SIMPLIFIED[dominant]
    if len(group) > 1 and rng.random() < 0.5:
        a, b = rng.choice(group, 2, replace=False)
        probs[a], probs[b] = share * 0.5, share * 0.5
    else:
        probs[rng.choice(group)] = share
    probs[rng.choice(IGBP_TO_SIMPLIFIED[second])] += 1. - share
    return probs


def render_patch(label: int, size: int, cloud_cover: float,
                 rng: np.random.Generator, looks: float = 4.
                 ) -> Tuple[Dict[str, np.ndarray], np.ndarray, float]:
    """One patch: ``{'s2', 's2_cloudy', 's1', 'cloud_mask'}`` arrays in file
    form (CHW), its IGBP fractions and its actual cloud cover."""
    k = len(SIGNATURES)
    second = int((label + rng.integers(1, k)) % k)
    share = float(rng.uniform(0.6, 0.9))
    region = _cover_map(_blob_field(size, rng, size / 5), 1. - share)
    classes = np.where(region, second, label)

    gain = rng.uniform(0.85, 1.15) * (1 + 0.08 * rng.standard_normal(13))
    refl = SIGNATURES[classes] * gain  # H, W, 13
    refl *= 1 + 0.05 * rng.standard_normal(refl.shape)
    clear = np.clip(refl, 0, 1)

    opacity = np.zeros((size, size))
    if cloud_cover > 0:
        field = _blob_field(size, rng, size / 6)
        thr = np.quantile(field, 1. - cloud_cover)
        opacity = 1. / (1. + np.exp(-(field - thr) / 0.12))
    texture = 1 + 0.06 * _blob_field(size, rng, 1.5)[..., None]
    cloud = CLOUD_SPECTRUM * texture
    cloudy = clear * (1 - opacity[..., None]) + cloud * opacity[..., None]
    mask = (opacity > 0.5).astype(np.uint8)

    offset = rng.normal(0, 1.5) + rng.normal(0, 0.7, 2)
    sigma0 = 10**((BACKSCATTER_DB[classes] + offset) / 10)
    speckle = rng.gamma(looks, 1. / looks, sigma0.shape)
    s1 = np.clip(10 * np.log10(sigma0 * speckle + 1e-10), -30, 5)

    def to_dn(x):
        return np.round(np.clip(x, 0, 1) * 10000).astype(np.uint16)

    arrays = dict(
        s2=to_dn(clear).transpose(2, 0, 1),
        s2_cloudy=to_dn(cloudy).transpose(2, 0, 1),
        s1=s1.astype(np.float32).transpose(2, 0, 1),
        cloud_mask=mask[None])
    return arrays, _igbp_probs(label, second, share, rng), float(mask.mean())


def write_tile(path: str, data: np.ndarray,
               interleave: str = 'band') -> None:
    """A (C, H, W) tile as a GeoTIFF, band-interleaved as SEN12MS's (no
    georeference: nothing here reads it)."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', NotGeoreferencedWarning)
        with rasterio.open(path, 'w', driver='GTiff', height=data.shape[1],
                           width=data.shape[2], count=data.shape[0],
                           dtype=data.dtype, interleave=interleave) as dst:
            dst.write(data)


def patch_name(index: int) -> str:
    """S2 file name of patch ``index`` (50 patches a scene, 4 ROIs)."""
    rs = ROIS[index % len(ROIS)]
    return f'{rs}_s2_{index // 50 + 1}_p{index}.tif'


def generate_sen12ms_dataset(out_dir: str,
                             num_source: int = 400,
                             num_train: int = 400,
                             num_test: int = 300,
                             img_size: int = 32,
                             cloud_cover: Sequence[float] = (0.0, 1.0),
                             looks: float = 4.,
                             seed: int = 0) -> Dict[str, int]:
    """Write the synthetic set; returns the number of patches per split.

    Args:
        out_dir (str): Output root.
        num_source (int): Patches of the labelled cloud-free source split.
        num_train (int): Patches of the cloudy target training split.
        num_test (int): Patches of the test split.
        img_size (int): Patch side in pixels (SEN12MS: 256).
        cloud_cover (Sequence[float]): ``(low, high)`` range the cloud
            cover of each patch is drawn from.
        looks (float): Looks of the SAR speckle (gamma shape).
        seed (int): Seed of the whole set.
    """
    low, high = cloud_cover
    if not 0 <= low <= high <= 1:
        raise ValueError(f'cloud_cover={cloud_cover} must be a (low, high) '
                         'range within [0, 1].')
    splits = dict(source=num_source, train=num_train, test=num_test)
    if min(splits.values()) < 1:
        raise ValueError(f'every split needs patches, got {splits}.')
    labels, names, index = {}, {s: [] for s in splits}, 0
    for split, count in splits.items():
        for _ in range(count):
            rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
            label = index % len(SIGNATURES)
            arrays, probs, _ = render_patch(
                label, img_size, float(rng.uniform(low, high)), rng, looks)
            name = patch_name(index)
            for modality, rel in patch_paths(name).items():
                path = osp.join(out_dir, rel)
                os.makedirs(osp.dirname(path), exist_ok=True)
                write_tile(path, arrays[modality])
            labels[name] = probs
            names[split].append(name)
            index += 1
    os.makedirs(osp.join(out_dir, 'splits'), exist_ok=True)
    for split, split_names in names.items():
        with open(osp.join(out_dir, 'splits', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(split_names) + '\n')
    with open(osp.join(out_dir, LABEL_FILE), 'wb') as f:
        pickle.dump(labels, f)
    settings = dict(num_source=num_source, num_train=num_train,
                    num_test=num_test, img_size=img_size,
                    cloud_cover=list(cloud_cover), looks=looks, seed=seed,
                    version=GENERATOR_VERSION)
    with open(osp.join(out_dir, GENERATOR_FILE), 'w') as f:
        json.dump(settings, f, indent=1)
    return splits
