"""Synthetic SpaceNet 6 tiles: paired SAR + optical views of the same
buildings, in the release layout (see :mod:`ifkd.datasets.spacenet6`)::

    out/
    ├── SAR-Intensity/SN6_Train_AOI_11_Rotterdam_SAR-Intensity_<strip>_tile_<k>.tif
    ├── PS-RGBNIR/SN6_Train_AOI_11_Rotterdam_PS-RGBNIR_<strip>_tile_<k>.tif
    ├── geojson_buildings/SN6_Train_AOI_11_Rotterdam_Buildings_<strip>_tile_<k>.geojson
    ├── SummaryData/SAR_orientations.txt
    └── synthetic.json                       # the settings used

Buildings are rectangles and L-shapes (plus sheds under 20 m², which the
masks drop, as the baseline does), written as UTM (EPSG:32631) polygons at
0.5 m per pixel; tiles spread over the baseline's easting range so that
every easting group, the validation one included, holds tiles.

* Optical (R, G, B, NIR, uint8): vegetation / soil ground, roofs in a few
  colours with two-sided (gable) shading, cast shadows towards the south
  east. Roofs are dark in NIR, vegetation bright: buildings are easy to see.
* SAR (HH, HV, VH, VV, float32 amplitude): from the sensor's side (north,
  or south for strips whose orientation is 1), a bright layover band
  displaced towards the sensor, a double-bounce line at the near wall,
  a roof barely above the ground, a radar shadow behind; bright point
  clutter (cars, trees) and multiplicative gamma speckle. The footprint
  itself is hard to see: SAR alone segments worse than optical.

Each tile is seeded by ``SeedSequence([seed, k])``: the same arguments
give the same files.
"""
import json
import os
import os.path as osp
from typing import List, Tuple

import numpy as np
from scipy.ndimage import gaussian_filter, shift

from .spacenet6 import EASTING_EDGES

GENERATOR_FILE = 'synthetic.json'
GENERATOR_VERSION = 1
PIXEL_M = 0.5
NORTHING = 5_750_000.0
STRIPS = ('20190804111224_20190804111453', '20190804113009_20190804113242',
          '20190804114132_20190804114404', '20190804120223_20190804120456')
ORIENTATIONS = (0, 1, 0, 1)
PREFIX = 'SN6_Train_AOI_11_Rotterdam'
ROOF_COLOURS = np.array([[150, 72, 52], [135, 135, 145], [95, 90, 100],
                         [170, 150, 120]], np.float32)


def _footprints(rng: np.random.Generator, size: int
                ) -> List[Tuple[np.ndarray, bool]]:
    """``(pixel mask, is_shed)`` of non-touching buildings in a tile."""
    occupied = np.zeros((size, size), bool)
    out = []
    want = rng.integers(2, 6)
    for _ in range(60):
        if len(out) >= want + 2:
            break
        shed = len(out) >= want
        h, w = (rng.integers(5, 8, 2) if shed else
                rng.integers(size // 7, size // 3.5, 2))
        r, c = rng.integers(2, size - h - 2), rng.integers(2, size - w - 2)
        m = np.zeros((size, size), bool)
        m[r:r + h, c:c + w] = True
        if not shed and rng.random() < 0.4:  # L-shape: cut one corner
            ch, cw = h // 2, w // 2
            rr = r if rng.random() < 0.5 else r + h - ch
            cc = c if rng.random() < 0.5 else c + w - cw
            m[rr:rr + ch, cc:cc + cw] = False
        grown = np.zeros_like(m)
        grown[max(r - 4, 0):r + h + 4, max(c - 4, 0):c + w + 4] = True
        if (grown & occupied).any():
            continue
        occupied |= m
        out.append((m, bool(shed)))
    return out


def _mask_polygon(m: np.ndarray, x0: float, y0: float) -> dict:
    """A footprint mask as a UTM GeoJSON polygon (pixel corners)."""
    from rasterio.features import shapes
    from rasterio.transform import from_origin
    transform = from_origin(x0, y0, PIXEL_M, PIXEL_M)
    geoms = [g for g, v in shapes(m.astype(np.uint8), mask=m,
                                  transform=transform) if v == 1]
    return geoms[0]


def _optical(rng, size, prints) -> np.ndarray:
    veg = gaussian_filter(rng.random((size, size)), 4)
    veg = (veg - veg.min()) / (np.ptp(veg) + 1e-6)
    img = np.stack([85 + 45 * (1 - veg), 95 + 50 * veg,
                    65 + 10 * veg, 70 + 120 * veg], -1).astype(np.float32)
    for m, _ in prints:  # cast shadows first, then roofs over them
        sh = shift(m.astype(float), (3, 3), order=0) > 0.5
        img[sh & ~m] *= 0.45
    for m, _ in prints:
        rows = np.nonzero(m.any(1))[0]
        colour = ROOF_COLOURS[rng.integers(len(ROOF_COLOURS))]
        gable = np.where(np.arange(size)[:, None] < rows.mean(), 1.15, 0.85)
        roof = np.concatenate([colour, [55.]])[None, None] * gable[..., None]
        img = np.where(m[..., None], roof, img)
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _sar(rng, size, prints, from_south: bool) -> np.ndarray:
    d = 1 if from_south else -1  # +1: the sensor looks from the south
    ground = 40 * (1 + 0.3 * gaussian_filter(rng.normal(size=(size, size)),
                                              2))
    amp = ground.copy()
    for m, _ in prints:
        mf = m.astype(float)
        away = shift(mf, (-3 * d, 0), order=0) > 0.5  # far range
        towards = shift(mf, (3 * d, 0), order=0) > 0.5  # near range
        near_edge = m & ~(shift(mf, (d, 0), order=0) > 0.5)
        amp[away & ~m] *= 0.3  # radar shadow
        amp[m] *= 1.2  # roof
        amp[towards] *= 2.5  # layover
        amp[near_edge] *= 6.0  # double bounce
    for _ in range(rng.integers(8, 20)):  # point clutter
        r, c = rng.integers(0, size, 2)
        amp[r:r + rng.integers(1, 3), c:c + rng.integers(1, 3)] *= 5.0
    pol = np.array([1.0, 0.4, 0.4, 0.9], np.float32)
    looks = 2.0
    speckle = rng.gamma(looks, 1 / looks, (size, size, 4))
    sar = amp[..., None] * pol * np.sqrt(speckle)
    return np.clip(sar, 0, 255).astype(np.float32)  # 8-bit-like range


def _write(path: str, data: np.ndarray, x0: float) -> None:
    import rasterio
    from rasterio.transform import from_origin
    with rasterio.open(
            path, 'w', driver='GTiff', height=data.shape[0],
            width=data.shape[1], count=data.shape[2], dtype=str(data.dtype),
            crs='EPSG:32631',
            transform=from_origin(x0, NORTHING, PIXEL_M, PIXEL_M)) as dst:
        dst.write(data.transpose(2, 0, 1))


def generate_spacenet6(out: str, num_tiles: int = 200, tile_size: int = 64,
                       seed: int = 0) -> List[str]:
    """Write ``num_tiles`` synthetic tiles of ``tile_size`` px under
    ``out``; returns their tile ids."""
    for d in ('SAR-Intensity', 'PS-RGBNIR', 'geojson_buildings',
              'SummaryData'):
        os.makedirs(osp.join(out, d), exist_ok=True)
    with open(osp.join(out, 'SummaryData', 'SAR_orientations.txt'), 'w') as f:
        f.writelines(f'{s} {o}\n' for s, o in zip(STRIPS, ORIENTATIONS))
    left, right = EASTING_EDGES
    ids = []
    for k in range(num_tiles):
        rng = np.random.default_rng(np.random.SeedSequence([seed, k]))
        strip = k % len(STRIPS)
        tid = f'{STRIPS[strip]}_tile_{k}'
        x0 = left + (right - left) * (k + 0.5) / num_tiles
        prints = _footprints(rng, tile_size)
        _write(osp.join(out, 'PS-RGBNIR', f'{PREFIX}_PS-RGBNIR_{tid}.tif'),
               _optical(rng, tile_size, prints), x0)
        _write(osp.join(out, 'SAR-Intensity',
                        f'{PREFIX}_SAR-Intensity_{tid}.tif'),
               _sar(rng, tile_size, prints, ORIENTATIONS[strip] == 1), x0)
        features = [
            dict(type='Feature', properties=dict(shed=shed),
                 geometry=_mask_polygon(m, x0, NORTHING))
            for m, shed in prints
        ]
        with open(osp.join(out, 'geojson_buildings',
                           f'{PREFIX}_Buildings_{tid}.geojson'), 'w') as f:
            json.dump(dict(type='FeatureCollection', crs=dict(
                type='name', properties=dict(
                    name='urn:ogc:def:crs:EPSG::32631')),
                features=features), f)
        ids.append(tid)
    with open(osp.join(out, GENERATOR_FILE), 'w') as f:
        json.dump(dict(num_tiles=num_tiles, tile_size=tile_size, seed=seed,
                       version=GENERATOR_VERSION), f)
    return ids
