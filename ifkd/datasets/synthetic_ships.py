"""Synthetic SAR ship chips in the FUSAR-Ship release layout.

Writes::

    out/
    ├── Cargo/BulkCarrier/Ship_C01S01N0001.png   # category/subcategory
    ├── Fishing/Fishing/Ship_C04S01N0001.png     # 8-bit, single channel
    ├── Tanker/Tanker/...
    ├── splits/train.txt, splits/test.txt        # seeded, stratified
    └── synthetic.json                           # the settings used

Each chip shows one ship at its centre, as FUSAR-Ship's chips do, in a
random heading, on sea clutter times multiplicative gamma speckle. The
classes differ the way they do in real SAR: hull length and width
(fishing boats are short and beamy, tankers a little wider than cargo
ships), where the superstructure is (forward on fishing boats, at the stern
on the others) and what the deck shows (hatch covers or container stacks on
cargo ships, a bright pipeline and manifold on tankers, gear and masts on
fishing boats). Class frequencies follow a real dataset's imbalance
(:data:`ifkd.datasets.ship_classes.CLASS_FREQUENCIES`, FUSAR-Ship's by
default).

Difficulty is set by ``noise`` (speckle: coefficient of variation of the
multiplicative noise, i.e. ``1/sqrt(looks)``), ``size_jitter`` (spread of
the per-class hull sizes: at 2 the length ranges overlap widely, so length
alone no longer tells the classes apart) and ``clutter`` (probability of a
second, unrelated target in the chip).

Only numpy, scipy and Pillow are needed; each chip is seeded by
``SeedSequence([seed, i])`` so the same arguments give byte-identical files.
"""
import json
import math
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from .ship_classes import FUSAR_CATEGORIES, SHIP_CLASSES, class_frequencies
from .ship_splits import SPLIT_DIR, Sample, stratified_split, write_split

GENERATOR_FILE = 'synthetic.json'
# Bumped whenever the same settings would render different chips.
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class HullClass:
    """Size and layout of one ship class, in units of the chip side.

    Args:
        length (float): Median hull length.
        aspect (float): Median length / beam.
        bridge (tuple): ``(start, end)`` of the superstructure along the
            hull, in hull lengths from the stern (-0.5) to the bow (0.5).
        subcategories (tuple): FUSAR subcategory folders.
    """
    length: float
    aspect: float
    bridge: Tuple[float, float]
    subcategories: Tuple[str, ...]


HULLS: Dict[str, HullClass] = {
    'Cargo': HullClass(0.60, 6.5, (-0.46, -0.36),
                       ('BulkCarrier', 'ContainerShip', 'GeneralCargo')),
    'Fishing': HullClass(0.34, 4.0, (-0.05, 0.15), ('Fishing', )),
    'Tanker': HullClass(0.64, 5.6, (-0.46, -0.36), ('Tanker', )),
}
LOG_SIZE_SD = 0.12  # log-normal spread of hull size at size_jitter=1
SEA_GRAY = 22.0  # gray level of calm sea amplitude


def class_counts(num_images: int,
                 freq: Sequence[float],
                 min_per_class: int = 2) -> List[int]:
    """Split ``num_images`` over the classes by largest remainder.

    Every class gets at least ``min_per_class`` so that it has a train and
    a test chip.
    """
    k = len(freq)
    if num_images < k * min_per_class:
        raise ValueError(f'num_images={num_images} is too small: need at '
                         f'least {min_per_class} chips per class '
                         f'({k * min_per_class})')
    spare = num_images - k * min_per_class
    quota = np.asarray(freq, np.float64) * spare
    counts = np.floor(quota).astype(int)
    order = np.argsort(-(quota - counts), kind='stable')
    counts[order[:spare - counts.sum()]] += 1
    return [int(c) + min_per_class for c in counts]


def _sea(size: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth sea reflectivity (intensity, mean about 1)."""
    coarse = rng.uniform(0.6, 1.4, (5, 5)).astype(np.float32)
    field = np.asarray(
        Image.fromarray(coarse).resize((size, size), Image.BICUBIC))
    return rng.uniform(0.7, 1.4) * np.clip(field, 0.3, None)


def _ship_frame(size: int, center: Tuple[float, float],
                heading: float) -> Tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates along (``u``, bow positive) and across (``v``) a
    hull centred at ``center`` with the given heading (radians)."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    dx, dy = xs - center[0], ys - center[1]
    c, s = math.cos(heading), math.sin(heading)
    return dx * c + dy * s, -dx * s + dy * c


def _hull(u: np.ndarray, v: np.ndarray, length: float,
          beam: float) -> Tuple[np.ndarray, np.ndarray]:
    """Soft hull mask and its bright side walls (double bounce)."""
    t = u / length  # -0.5 stern ... 0.5 bow
    bow = np.clip((t - 0.2) / 0.3, 0, 1)
    half = 0.5 * beam * np.sqrt(np.clip(1 - bow**2, 0, 1))
    inside = np.clip(half - np.abs(v) + 0.5, 0, 1)
    inside *= np.clip(u + 0.5 * length + 0.5, 0, 1)
    inside *= (t < 0.5)
    walls = np.exp(-(np.abs(v) - half)**2 / 0.8) * (np.abs(t) < 0.5)
    return inside, walls * (half > 0.3)


def _box(u: np.ndarray, v: np.ndarray, u0: float, u1: float,
         half_width: float) -> np.ndarray:
    """Soft rectangle ``u0 <= u <= u1, |v| <= half_width``."""
    return (np.clip(np.minimum(u - u0, u1 - u) + 0.5, 0, 1) *
            np.clip(half_width - np.abs(v) + 0.5, 0, 1))


def _deck(name: str, sub: str, u: np.ndarray, v: np.ndarray, length: float,
          beam: float, rng: np.random.Generator) -> np.ndarray:
    """Class-specific deck returns (intensity over the plain deck)."""
    t = u / length
    deck = np.zeros_like(u)
    if name == 'Cargo':
        # Hatch covers (bulk, general cargo) or container stacks: bright
        # coamings across the deck at each hatch end, denser for container
        # ships.
        n = int(rng.integers(7, 11) if sub == 'ContainerShip' else
                rng.integers(4, 7))
        across = np.abs(v) < 0.4 * beam
        for x in np.linspace(-0.32, 0.3, n + 1):
            deck += rng.uniform(10, 18) * np.exp(-(u - x * length)**2 /
                                                  0.6) * across
        if sub == 'GeneralCargo':  # deck cranes: strong point returns
            for x in rng.uniform(-0.3, 0.3, 2):
                deck += 25 * np.exp(-((t - x) * length)**2 - v**2)
    elif name == 'Tanker':
        # Pipeline along the centre line and a manifold across mid-ship.
        deck += 14 * np.exp(-v**2 / 0.6) * (np.abs(t + 0.02) < 0.32)
        x = rng.uniform(-0.08, 0.05)
        deck += 14 * _box(u, v, (x - 0.015) * length, (x + 0.015) * length,
                          0.45 * beam)
    else:
        # Fishing gear, masts and booms: a few strong points aft.
        for x in rng.uniform(-0.45, -0.1, int(rng.integers(2, 5))):
            y = rng.uniform(-0.3, 0.3) * beam
            deck += 20 * np.exp(-((t - x) * length)**2 - (v - y)**2)
    return deck


def render_chip(name: str, sub: str, img_size: int, rng: np.random.Generator,
                noise: float = 0.7, size_jitter: float = 1.0,
                clutter: float = 0.3) -> np.ndarray:
    """Render one 8-bit ship chip of class ``name``, subcategory ``sub``.

    Args:
        name (str): Ship class, one of :data:`HULLS`.
        sub (str): Its subcategory (changes the cargo deck pattern).
        img_size (int): Chip side in pixels.
        rng (np.random.Generator): Randomness of this chip.
        noise (float): Speckle coefficient of variation (``1/sqrt(looks)``).
        size_jitter (float): Multiplies the spread of hull sizes.
        clutter (float): Probability of a second target off-centre.
    """
    hull = HULLS[name]
    spread = LOG_SIZE_SD * size_jitter
    length = img_size * hull.length * math.exp(rng.normal(0, spread))
    length = min(length, 0.92 * img_size)
    beam = max(length / (hull.aspect * math.exp(rng.normal(0, spread))),
               1.5)
    center = tuple((img_size - 1) / 2 + rng.uniform(-0.04, 0.04, 2) *
                   img_size)
    u, v = _ship_frame(img_size, center, rng.uniform(0, 2 * math.pi))

    refl = _sea(img_size, rng)
    inside, walls = _hull(u, v, length, beam)
    deck = _deck(name, sub, u, v, length, beam, rng) * inside
    b0, b1 = hull.bridge
    bridge = _box(u, v, b0 * length, b1 * length, 0.42 * beam)
    refl += (rng.uniform(5, 9) * inside + rng.uniform(10, 18) * walls + deck +
             rng.uniform(25, 40) * bridge)
    if rng.random() < clutter:
        refl += _clutter_target(img_size, rng)
    refl = gaussian_filter(refl, 0.5 * img_size / 64)
    if noise > 0:
        looks = 1 / noise**2
        refl = refl * rng.gamma(looks, 1 / looks, refl.shape)
    gain = SEA_GRAY * rng.uniform(0.8, 1.25)
    return np.clip(np.sqrt(refl) * gain, 0, 255).astype(np.uint8)


def _clutter_target(img_size: int, rng: np.random.Generator) -> np.ndarray:
    """A small bright object (buoy, boat, platform) away from the centre."""
    r = rng.uniform(0.32, 0.45) * img_size
    a = rng.uniform(0, 2 * math.pi)
    c = (img_size / 2 + r * math.cos(a), img_size / 2 + r * math.sin(a))
    u, v = _ship_frame(img_size, c, rng.uniform(0, 2 * math.pi))
    length = rng.uniform(0.06, 0.2) * img_size
    inside, _ = _hull(u, v, length, max(length / rng.uniform(2, 5), 1.2))
    return rng.uniform(4, 20) * inside


def generator_args(num_images: int = 300,
                   img_size: int = 64,
                   seed: int = 0,
                   test_ratio: float = 0.2,
                   imbalance: str = 'fusar',
                   noise: float = 0.7,
                   size_jitter: float = 1.0,
                   clutter: float = 0.3) -> dict:
    """The settings recorded in ``GENERATOR_FILE``, defaults filled in,
    with the renderer's ``version``: a set whose recorded settings equal
    these is what :func:`generate_ship_dataset` would write now."""
    return dict(num_images=num_images, img_size=img_size, seed=seed,
                test_ratio=test_ratio, imbalance=imbalance, noise=noise,
                size_jitter=size_jitter, clutter=clutter,
                version=GENERATOR_VERSION)


def generate_ship_dataset(out_dir: str,
                          num_images: int = 300,
                          img_size: int = 64,
                          seed: int = 0,
                          test_ratio: float = 0.2,
                          **flags) -> dict:
    """Write a synthetic SAR ship set in the FUSAR-Ship layout.

    Write into a new folder: chips already there are overwritten when
    names match, but extra ones (from a larger set) would stay on disk,
    outside the split files.

    Args:
        out_dir (str): Output data root (created if missing).
        num_images (int): Chips in all. Defaults to 300.
        img_size (int): Chip side in px. Defaults to 64 (FUSAR's are 512).
        seed (int): Random seed. Defaults to 0.
        test_ratio (float): Test share of each class. Defaults to 0.2.
        **flags: ``imbalance`` (a :data:`CLASS_FREQUENCIES` profile,
            default ``'fusar'``), ``noise`` (0.7), ``size_jitter`` (1.0),
            ``clutter`` (0.3); see the module docstring.

    Returns:
        dict: ``{'train': [(path, class)], 'test': [(path, class)],
        'counts': {class: chips}}``; paths relative to ``out_dir``.
    """
    valid = set(generator_args()) - {'num_images', 'version'}
    unknown = set(flags) - valid
    if unknown:
        raise TypeError(f'unknown flags {sorted(unknown)}; valid: '
                        f'{sorted(valid)}')
    args = generator_args(num_images, img_size, seed, test_ratio, **flags)
    if img_size < 32:
        raise ValueError(f'img_size={img_size} is too small; use >= 32')
    counts = class_counts(num_images, class_frequencies(args['imbalance']))
    labels = np.repeat(np.arange(len(SHIP_CLASSES)), counts)
    labels = np.random.default_rng(seed).permutation(labels)
    samples: List[Sample] = []
    serial: Dict[str, int] = {}
    for i, label in enumerate(labels):
        rng = np.random.default_rng(np.random.SeedSequence([seed, i]))
        name = SHIP_CLASSES[label]
        subs = HULLS[name].subcategories
        s = int(rng.integers(len(subs)))
        img = render_chip(name, subs[s], img_size, rng, args['noise'],
                          args['size_jitter'], args['clutter'])
        folder = osp.join(name, subs[s])
        serial[folder] = serial.get(folder, 0) + 1
        fname = (f'Ship_C{FUSAR_CATEGORIES.index(name) + 1:02d}S{s + 1:02d}'
                 f'N{serial[folder]:04d}.png')
        os.makedirs(osp.join(out_dir, folder), exist_ok=True)
        Image.fromarray(img).save(osp.join(out_dir, folder, fname))
        samples.append((f'{name}/{subs[s]}/{fname}', name))
    train, test = stratified_split(samples, test_ratio, seed)
    os.makedirs(osp.join(out_dir, SPLIT_DIR), exist_ok=True)
    write_split(osp.join(out_dir, SPLIT_DIR, 'train.txt'), train)
    write_split(osp.join(out_dir, SPLIT_DIR, 'test.txt'), test)
    with open(osp.join(out_dir, GENERATOR_FILE), 'w') as f:
        json.dump(args, f, indent=1)
    return dict(train=train, test=test,
                counts=dict(zip(SHIP_CLASSES, counts)))
