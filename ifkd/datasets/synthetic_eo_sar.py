"""Synthetic EO / SAR chip pairs of vehicles in the MAVOC challenge layout.

Writes::

    out/
    ├── train/EO/<class>/EO_<id>.png    # 3-channel, shaded, sharp
    ├── train/SAR/<class>/SAR_<id>.png  # 1-channel, speckled: the same
    │                                   #   vehicle, heading and position
    ├── test/SAR_<id>.png       # flat; in-distribution and OOD
    ├── test/ids.txt            # the test ids, one a line
    ├── test_labels.csv         # id,class of in-distribution chips
    ├── test_ood.txt            # ids of the OOD chips
    ├── test_eo/EO_<id>.png     # EO partners of the labelled test chips
    │                           #   (scores the EO teacher; the challenge
    │                           #   has none)
    └── synthetic.json          # the settings used

Each vehicle is a top-down layout of boxes along its axis (cab, windshield,
open bed, cargo box, flat deck, trailer with hitch, ...) at a random heading.
EO renders it with a paint colour, dark glass, a cast shadow and asphalt;
SAR renders the same layout the way radar sees it: bright double-bounce
edges facing the sensor, corner reflections where parts meet, dark radar
shadow, no colour, blurred and with multiplicative gamma speckle. Fine
detail (windows, bed) that separates sedan / SUV / van / pickup in EO is
mostly lost in SAR, so the EO teacher knows more than a SAR model can learn
alone.

Training class frequencies follow the challenge's long tail
(:func:`ifkd.datasets.eo_sar_classes.long_tail_frequencies`). The test set
has the same number of chips for every class plus OOD chips of vehicles
from no training class (aircraft, excavator, tank). Test chips come in
tracks: a few looks of one object with nearby ids, tracks far apart in id
(more than 100), which is the structure the seed's id-gap voting assumes.

Only numpy, scipy and Pillow are needed; every chip is seeded by
``SeedSequence([seed, kind, i])``: the same arguments give identical files.
"""
import csv
import json
import math
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter, shift

from .eo_sar_classes import EO_SAR_CLASSES, long_tail_frequencies
from .synthetic_ships import _box, _ship_frame, class_counts

GENERATOR_FILE = 'synthetic.json'
GENERATOR_VERSION = 1
OOD_SHAPES = ('aircraft', 'excavator', 'tank')

# (u0, u1, half width, kind[, v0]) in chip sides, rear (-u) to front (+u).
Part = Tuple
_PICKUP = [(-0.25, 0.25, 0.095, 'body'), (-0.24, -0.03, 0.08, 'bed'),
           (0.0, 0.08, 0.085, 'roof'), (0.08, 0.14, 0.085, 'glass')]
LAYOUTS: Dict[str, List[Part]] = {
    'sedan': [(-0.20, 0.20, 0.085, 'body'), (-0.12, -0.07, 0.075, 'glass'),
              (-0.07, 0.02, 0.075, 'roof'), (0.02, 0.08, 0.075, 'glass')],
    'SUV': [(-0.22, 0.22, 0.095, 'body'), (-0.21, 0.05, 0.085, 'roof'),
            (0.05, 0.11, 0.085, 'glass')],
    'pickup_truck': _PICKUP,
    'van': [(-0.24, 0.24, 0.10, 'body'), (-0.24, 0.14, 0.095, 'roof'),
            (0.14, 0.20, 0.09, 'glass')],
    'box_truck': [(0.16, 0.32, 0.11, 'body'), (0.25, 0.30, 0.10, 'glass'),
                  (-0.32, 0.14, 0.125, 'box')],
    'motorcycle': [(-0.10, 0.10, 0.035, 'body'),
                   (-0.03, 0.04, 0.05, 'roof')],
    'flatbed_truck': [(0.17, 0.33, 0.11, 'body'), (0.26, 0.31, 0.10, 'glass'),
                      (-0.33, 0.15, 0.12, 'deck')],
    'bus': [(-0.42, 0.42, 0.13, 'body'), (-0.40, 0.36, 0.12, 'roof'),
            (0.36, 0.42, 0.12, 'glass'), (-0.05, 0.08, 0.06, 'box')],
    'pickup_truck_w_trailer':
    [(u0 * 0.9 + 0.16, u1 * 0.9 + 0.16, w, k) for u0, u1, w, k in _PICKUP] +
    [(-0.11, -0.07, 0.012, 'body'), (-0.41, -0.11, 0.09, 'bed')],
    'semi_w_trailer': [(0.26, 0.44, 0.12, 'body'), (0.36, 0.42, 0.11, 'glass'),
                       (-0.44, 0.23, 0.125, 'box')],
    # Out of distribution: shapes of no training class.
    'aircraft': [(-0.32, 0.32, 0.04, 'body'), (-0.04, 0.06, 0.36, 'box'),
                 (-0.32, -0.25, 0.13, 'box')],
    'excavator': [(-0.13, 0.13, 0.13, 'body'), (-0.06, 0.06, 0.07, 'glass'),
                  (0.13, 0.40, 0.025, 'deck', 0.06)],
    'tank': [(-0.26, 0.26, 0.14, 'body'), (-0.09, 0.09, 0.08, 'roof'),
             (0.09, 0.43, 0.015, 'roof')],
}
PAINT = np.array([[235, 235, 235], [30, 30, 35], [170, 172, 178],
                  [160, 30, 30], [35, 60, 150], [110, 112, 118],
                  [200, 170, 60], [60, 110, 70]], np.float32)
OOD_PAINT = {'aircraft': (225, 228, 232), 'excavator': (225, 175, 30),
             'tank': (85, 95, 60)}


def sample_vehicle(name: str, img_size: int,
                   rng: np.random.Generator) -> dict:
    """Geometry (size, heading, centre) and paint of one vehicle."""
    scale = math.exp(rng.normal(0, 0.08))
    paint = (np.array(OOD_PAINT[name], np.float32) if name in OOD_PAINT else
             PAINT[rng.integers(len(PAINT))])
    return dict(
        name=name,
        scale=scale,
        heading=float(rng.uniform(0, 2 * math.pi)),
        center=tuple((img_size - 1) / 2 + rng.uniform(-0.05, 0.05, 2) *
                     img_size),
        paint=paint * rng.uniform(0.85, 1.1))


def part_masks(vehicle: dict, img_size: int) -> List[Tuple[str, np.ndarray,
                                                          float, float]]:
    """Soft masks of the vehicle's parts: ``(kind, mask, u0, u1)``, with
    ``u0``/``u1`` the part's ends along the axis in pixels."""
    u, v = _ship_frame(img_size, vehicle['center'], vehicle['heading'])
    k = img_size * vehicle['scale']
    masks = []
    for part in LAYOUTS[vehicle['name']]:
        u0, u1, w, kind = part[:4]
        v0 = part[4] if len(part) > 4 else 0.
        masks.append((kind, _box(u, v - v0 * k, u0 * k, u1 * k, w * k),
                      u0 * k, u1 * k))
    return masks


def render_eo(vehicle: dict, img_size: int,
              rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8 RGB chip: asphalt, cast shadow, painted body, dark
    glass, open bed, white cargo box, wooden deck."""
    asphalt = rng.uniform(85, 130)
    img = np.full((img_size, img_size, 3), asphalt, np.float32)
    img += gaussian_filter(rng.normal(0, 6, (img_size, img_size)),
                           1.0)[..., None]
    if rng.random() < 0.4:  # a lane marking
        y = rng.uniform(0, img_size)
        rows = np.abs(np.arange(img_size) - y) < 0.6
        img[rows] = 0.5 * img[rows] + 0.5 * 220
    masks = part_masks(vehicle, img_size)
    body = np.clip(sum(m for _, m, _, _ in masks), 0, 1)
    shade = shift(body, (1.5, 1.2), order=1)
    img *= (1 - 0.55 * shade)[..., None]
    paint = vehicle['paint']
    colours = dict(body=paint, roof=np.minimum(paint * 1.15 + 10, 255),
                   glass=np.array([40, 50, 62], np.float32),
                   bed=paint * 0.45,
                   box=np.array([228, 228, 222], np.float32),
                   deck=np.array([125, 100, 75], np.float32))
    for kind, mask, _, _ in masks:
        img = img * (1 - mask[..., None]) + colours[kind] * mask[..., None]
    img = gaussian_filter(img, (0.4, 0.4, 0))
    img += rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def render_sar(vehicle: dict, img_size: int, rng: np.random.Generator,
               noise: float = 0.8) -> np.ndarray:
    """(H, W) uint8 SAR amplitude chip of the same vehicle, radar looking
    from the top of the chip: clutter, bright leading edges (double
    bounce), corner returns where parts meet, a dark shadow behind, low
    returns from glass; blurred, then multiplied by gamma speckle of
    coefficient of variation ``noise``."""
    refl = gaussian_filter(rng.uniform(0.6, 1.4, (img_size, img_size)),
                           2.0).astype(np.float32)
    masks = part_masks(vehicle, img_size)
    body = np.clip(sum(m for _, m, _, _ in masks), 0, 1)
    refl *= 1 - 0.85 * np.clip(shift(body, (2.5, 0), order=1) - body, 0, 1)
    returns = dict(body=3.0, roof=2.0, glass=0.6, bed=1.2, box=4.0,
                   deck=2.5)
    for kind, mask, _, _ in masks:
        refl = refl * (1 - mask) + returns[kind] * mask
    edge = np.clip(body - shift(body, (-1, 0), order=1), 0, 1)
    refl += rng.uniform(8, 16) * edge
    u, v = _ship_frame(img_size, vehicle['center'], vehicle['heading'])
    for _, _, u0, u1 in masks:
        for end in (u0, u1):
            refl += rng.uniform(6, 14) * np.exp(-((u - end)**2 + v**2) / 1.5)
    refl = gaussian_filter(refl, 0.8)
    if noise > 0:
        looks = 1 / noise**2
        refl = refl * rng.gamma(looks, 1 / looks, refl.shape)
    gain = 40 * rng.uniform(0.8, 1.25)
    return np.clip(np.sqrt(refl) * gain, 0, 255).astype(np.uint8)


def generator_args(num_train: int = 1200,
                   img_size: int = 32,
                   seed: int = 0,
                   tracks_per_class: int = 6,
                   ood_tracks: int = 12,
                   track_len: int = 4,
                   imbalance_power: float = 0.5,
                   sar_noise: float = 0.8) -> dict:
    """The settings recorded in ``GENERATOR_FILE``, defaults filled in."""
    return dict(num_train=num_train, img_size=img_size, seed=seed,
                tracks_per_class=tracks_per_class, ood_tracks=ood_tracks,
                track_len=track_len, imbalance_power=imbalance_power,
                sar_noise=sar_noise, version=GENERATOR_VERSION)


def _save(img: np.ndarray, path: str) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(img).save(path)


def _track_ids(num_tracks: int, track_len: int,
               rng: np.random.Generator) -> List[List[int]]:
    """Ids of each track: steps of 1-10 within a track, 150-400 between."""
    ids, start = [], int(rng.integers(1000, 2000))
    for _ in range(num_tracks):
        track = list(start + np.cumsum(rng.integers(1, 11, track_len)))
        ids.append([int(i) for i in track])
        start = track[-1] + int(rng.integers(150, 401))
    return ids


def generate_eo_sar_dataset(out_dir: str, **kwargs) -> dict:
    """Write a synthetic EO/SAR pair set (see the module docstring).

    Args:
        out_dir (str): Output data root; use a new folder.
        **kwargs: The arguments of :func:`generator_args`: ``num_train``
            (training pairs, 1200), ``img_size`` (32 px), ``seed`` (0),
            ``tracks_per_class`` (6 test tracks per class),
            ``ood_tracks`` (12), ``track_len`` (4 chips a track),
            ``imbalance_power`` (0.5, see ``long_tail_frequencies``),
            ``sar_noise`` (0.8, speckle coefficient of variation).

    Returns:
        dict: ``counts`` (training pairs per class), ``num_test``,
        ``num_ood``.
    """
    unknown = set(kwargs) - set(generator_args())
    if unknown:
        raise TypeError(f'unknown arguments {sorted(unknown)}; valid: '
                        f'{sorted(generator_args())}')
    args = generator_args(**kwargs)
    size, seed = args['img_size'], args['seed']
    if size < 24:
        raise ValueError(f'img_size={size} is too small; use >= 24')
    counts = class_counts(args['num_train'],
                          long_tail_frequencies(args['imbalance_power']))
    labels = np.random.default_rng(seed).permutation(
        np.repeat(np.arange(len(EO_SAR_CLASSES)), counts))
    train_ids = np.random.default_rng([seed, 1]).choice(
        10 * len(labels) + 1000, len(labels), replace=False)
    for i, (label, cid) in enumerate(zip(labels, train_ids)):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0, i]))
        name = EO_SAR_CLASSES[label]
        vehicle = sample_vehicle(name, size, rng)
        _save(render_eo(vehicle, size, rng),
              osp.join(out_dir, 'train', 'EO', name, f'EO_{cid}.png'))
        _save(render_sar(vehicle, size, rng, args['sar_noise']),
              osp.join(out_dir, 'train', 'SAR', name, f'SAR_{cid}.png'))
    num_in = args['tracks_per_class'] * len(EO_SAR_CLASSES)
    names = [EO_SAR_CLASSES[i % len(EO_SAR_CLASSES)] for i in range(num_in)]
    names += [OOD_SHAPES[i % len(OOD_SHAPES)]
              for i in range(args['ood_tracks'])]
    order = np.random.default_rng([seed, 2]).permutation(len(names))
    tracks = _track_ids(len(names), args['track_len'],
                        np.random.default_rng([seed, 3]))
    labels_rows, ood_ids, all_ids = [], [], []
    for t, (k, ids) in enumerate(zip(order, tracks)):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 1, t]))
        vehicle = sample_vehicle(names[k], size, rng)
        for cid in ids:
            look = dict(vehicle, heading=vehicle['heading'] +
                        rng.normal(0, 0.15))
            _save(render_sar(look, size, rng, args['sar_noise']),
                  osp.join(out_dir, 'test', f'SAR_{cid}.png'))
            all_ids.append(cid)
            if names[k] in OOD_SHAPES:
                ood_ids.append(cid)
                continue
            labels_rows.append((cid, names[k]))
            _save(render_eo(look, size, rng),
                  osp.join(out_dir, 'test_eo', f'EO_{cid}.png'))
    _write_lines(osp.join(out_dir, 'test', 'ids.txt'), all_ids)
    _write_lines(osp.join(out_dir, 'test_ood.txt'), ood_ids)
    with open(osp.join(out_dir, 'test_labels.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['id', 'class'])
        writer.writerows(labels_rows)
    with open(osp.join(out_dir, GENERATOR_FILE), 'w') as f:
        json.dump(args, f, indent=1)
    return dict(counts=dict(zip(EO_SAR_CLASSES, counts)),
                num_test=len(all_ids), num_ood=len(ood_ids))


def _write_lines(path: str, values: Sequence) -> None:
    with open(path, 'w') as f:
        f.writelines(f'{v}\n' for v in values)
