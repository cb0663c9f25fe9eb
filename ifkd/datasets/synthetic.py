"""Synthetic SAR-AIRcraft-1.0 look-alike data for quick, offline runs.

Writes the exact SAR-AIRcraft-1.0 layout::

    out/
    ├── Annotations/0000001.xml      # same XML format as the real files
    ├── ImageSets/Main/train.txt     # 7-digit stems, train images first
    ├── ImageSets/Main/test.txt
    └── JPEGImages/0000001.jpg       # 8-bit single channel

Images are dark, speckled clutter (a smooth reflectivity field times
gamma-distributed multiplicative speckle) with aircraft drawn as clusters of
bright point scatterers, as they look in real SAR. The scatterer layout is a
top view whose geometry depends on the class (wing span and sweep, fuselage
length, number and placement of engines, tail), so classes are separable.
Class frequencies, objects per image and relative box sizes are sampled from
the statistics of the real dataset (``sar_aircraft_stats.json``, made by
``tools/analysis_tools/sar_aircraft_stats.py``). Each box is the tight box of
the drawn target (no target energy outside it) and targets never overlap.

Only numpy and Pillow are needed. Everything is seeded per image, so the
same arguments give byte-identical files.
"""
import json
import math
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image

from .voc_parsing import SAR_AIRCRAFT_CLASSES

STATS_FILE = osp.join(osp.dirname(__file__), 'sar_aircraft_stats.json')
MIN_BOX = 12  # px; smaller real boxes would vanish at small image sizes
TARGET_THR = 0.2  # target energy below this fraction of the peak is cut off
# Written next to the splits: the arguments the set was generated with.
GENERATOR_FILE = 'synthetic.json'


@dataclass(frozen=True)
class AircraftShape:
    """Top-view geometry in units of fuselage length (nose at x=+0.5).

    Args:
        span (float): Wing span.
        sweep (float): Leading-edge sweep in degrees.
        wing_x (float): Wing-root position along the fuselage.
        engines (tuple): ``(x, y)`` of the engines, mirrored to ``-y``.
        tail_x (float): Horizontal tail position.
        tail_span (float): Horizontal tail span.
        n_fuselage (int): Bright scatterers along the fuselage.
        raked_tips (bool): Curved, raked wing tips (extra tip scatterers).
        dorsal (bool): Bright dorsal fin line ahead of the tail.
    """
    span: float
    sweep: float
    wing_x: float
    engines: Tuple[Tuple[float, float], ...]
    tail_x: float = -0.42
    tail_span: float = 0.32
    n_fuselage: int = 6
    raked_tips: bool = False
    dorsal: bool = False


CLASS_SHAPES: Dict[str, AircraftShape] = {
    'A220': AircraftShape(
        span=0.92, sweep=20, wing_x=0.04, engines=((0.16, 0.17), ),
        tail_span=0.36, n_fuselage=5),
    'A320/321': AircraftShape(
        span=0.78, sweep=25, wing_x=0.06, engines=((0.2, 0.22), ),
        tail_span=0.28, n_fuselage=8),
    'A330': AircraftShape(
        span=1.0, sweep=30, wing_x=0.08, engines=((0.24, 0.2), ),
        tail_span=0.33, n_fuselage=10),
    # Rear-mounted engines and a T-tail at the very end.
    'ARJ21': AircraftShape(
        span=0.84, sweep=25, wing_x=0.0, engines=((-0.3, 0.08), ),
        tail_x=-0.5, tail_span=0.26, n_fuselage=5),
    'Boeing737': AircraftShape(
        span=0.88, sweep=25, wing_x=0.05, engines=((0.18, 0.14), ),
        tail_span=0.34, n_fuselage=6, dorsal=True),
    'Boeing787': AircraftShape(
        span=1.05, sweep=32, wing_x=0.06, engines=((0.22, 0.24), ),
        tail_span=0.3, n_fuselage=8, raked_tips=True),
}
# 'other' (mixed types) is drawn from these random variants.
OTHER_SHAPES = (
    AircraftShape(  # four-engine airliner
        span=1.0, sweep=33, wing_x=0.08, engines=((0.26, 0.2), (0.12, 0.36)),
        tail_span=0.34, n_fuselage=9),
    AircraftShape(  # straight-wing turboprop
        span=1.15, sweep=2, wing_x=0.1, engines=((0.28, 0.2), ),
        tail_span=0.36, n_fuselage=4),
    AircraftShape(  # small business jet
        span=0.7, sweep=15, wing_x=0.0, engines=((-0.28, 0.1), ),
        tail_x=-0.48, tail_span=0.3, n_fuselage=3),
)


def load_stats(path: Optional[str] = None) -> dict:
    """Load the SAR-AIRcraft-1.0 statistics json (default: packaged one)."""
    path = path or STATS_FILE
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found. Create it with tools/analysis_tools/'
            f'sar_aircraft_stats.py <annotations xml>.')
    with open(path) as f:
        stats = json.load(f)
    if tuple(stats['classes']) != SAR_AIRCRAFT_CLASSES:
        raise ValueError(
            f'{path} lists classes {stats["classes"]}, expected '
            f'{SAR_AIRCRAFT_CLASSES}; regenerate it with '
            f'sar_aircraft_stats.py')
    return stats


def scatterers(shape: AircraftShape,
               rng: np.random.Generator) -> np.ndarray:
    """Return the ``(N, 3)`` scatterers ``(x, y, amplitude)`` of one target.

    Coordinates are in fuselage lengths; amplitudes in [0, 1]. A few weak
    scatterers are dropped at random, like in real SAR where some parts do
    not reflect back.
    """
    pts = []

    def line(p0, p1, n, amp):
        for t in np.linspace(0, 1, n):
            pts.append((p0[0] + t * (p1[0] - p0[0]),
                        p0[1] + t * (p1[1] - p0[1]), amp))

    # Fuselage: nose, tail cone and strong joints in between.
    line((0.5, 0), (-0.5, 0), 14, 0.35)
    for x in np.linspace(0.45, -0.45, shape.n_fuselage):
        pts.append((x, 0, 0.8))
    pts.append((0.5, 0, 1.0))
    half = shape.span / 2
    tip_dx = -half * math.tan(math.radians(shape.sweep))
    for s in (1, -1):
        root, tip = (shape.wing_x, 0.04 * s), (shape.wing_x + tip_dx, half * s)
        line(root, tip, 10, 0.45)  # leading edge
        line((root[0] - 0.16, root[1]), (tip[0] - 0.05, tip[1]), 6, 0.3)
        pts += [(root[0], root[1], 0.9), (tip[0], tip[1], 1.0)]
        if shape.raked_tips:
            pts += [(tip[0] - 0.04, tip[1] + 0.015 * s, 0.8),
                    (tip[0] - 0.08, tip[1] + 0.02 * s, 0.6)]
        for ex, ey in shape.engines:
            pts += [(ex, ey * s, 1.0), (ex - 0.05, ey * s, 0.8)]
        t_half = shape.tail_span / 2
        t_tip = (shape.tail_x - t_half * 0.6, t_half * s)
        line((shape.tail_x, 0.02 * s), t_tip, 5, 0.5)
        pts.append((t_tip[0], t_tip[1], 0.9))
    if shape.dorsal:
        line((-0.2, 0), (-0.4, 0), 5, 0.9)
    pts = np.asarray(pts, dtype=np.float64)
    keep = (pts[:, 2] >= 0.8) | (rng.random(len(pts)) > 0.15)
    pts = pts[keep]
    pts[:, 2] *= rng.uniform(0.75, 1.0, len(pts))
    return pts


def render_target(shape: AircraftShape, box_wh: Tuple[float, float],
                  rng: np.random.Generator) -> np.ndarray:
    """Draw one randomly rotated target whose extent matches ``box_wh``.

    Of a few random rotations, the one whose extent has the aspect ratio
    closest to the requested box is used, so only a small anisotropic
    rescale remains and the class shape is kept.

    Returns:
        np.ndarray: Float32 amplitude patch (0 outside the target) whose
        non-zero pixels touch all four borders, i.e. the patch is the tight
        box of the target.
    """
    pts = scatterers(shape, rng)
    # Slight per-instance geometry jitter.
    pts[:, :2] *= rng.uniform(0.95, 1.05, 2)
    want = np.asarray(box_wh, dtype=np.float64)
    best = None
    for theta in rng.uniform(0, 2 * np.pi, 12):
        c, s = math.cos(theta), math.sin(theta)
        xy = pts[:, :2] @ np.array([[c, s], [-s, c]])
        ext = xy.max(0) - xy.min(0)
        err = abs(math.log((ext[0] / ext[1]) / (want[0] / want[1])))
        if best is None or err < best[0]:
            best = (err, xy, ext)
    _, xy, ext = best
    sigma = max(0.7, 0.02 * float(want.mean()))
    # Scatterer centres span the box minus the blob radius on each side.
    inner = np.maximum(want - 2 * sigma, 2.0)
    xy = (xy - xy.min(0)) * (inner / np.maximum(ext, 1e-6))
    pad = int(math.ceil(3 * sigma)) + 1
    w, h = (int(math.ceil(v)) + 2 * pad for v in inner)
    xy = xy + pad
    # Sum of separable Gaussian blobs, as one (h, N) @ (N, w) product.
    gx = np.exp(-(np.arange(w)[None] - xy[:, :1])**2 / (2 * sigma**2))
    gy = np.exp(-(np.arange(h)[None] - xy[:, 1:])**2 / (2 * sigma**2))
    patch = (gy * pts[:, 2:]).T @ gx
    patch[patch < TARGET_THR * patch.max()] = 0
    ys, xs = np.nonzero(patch)
    return patch[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(
        np.float32)


def clutter(size: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth background reflectivity (tarmac, grass) in gray levels."""
    coarse = rng.uniform(0.5, 1.5, (6, 6)).astype(np.float32)
    field = np.asarray(
        Image.fromarray(coarse).resize((size, size), Image.BICUBIC))
    return rng.uniform(12, 28) * np.clip(field, 0.3, None)


def sample_box_wh(stats: dict, name: str, img_size: int,
                  rng: np.random.Generator,
                  scene_size: Optional[int] = None) -> Tuple[float, float]:
    """Sample a box size (px) from the class's relative-size statistics.

    Sizes are relative to ``scene_size`` (default ``img_size``) and clipped
    to ``[MIN_BOX, img_size / 2]``.
    """
    box = stats['boxes'][name]
    rel = np.exp(rng.multivariate_normal(box['log_wh_mean'],
                                         box['log_wh_cov']))
    rel = np.clip(rel, [box['rel_w']['p01'], box['rel_h']['p01']],
                  [box['rel_w']['p99'], box['rel_h']['p99']])
    return tuple(
        float(v)
        for v in np.clip(rel * (scene_size or img_size), MIN_BOX,
                         img_size / 2))


def generate_image(stats: dict,
                   img_size: int,
                   max_objects: int,
                   rng: np.random.Generator,
                   scene_size: Optional[int] = None
                   ) -> Tuple[np.ndarray, List[Tuple[str, List[int]]]]:
    """Render one image and its objects ``(class, [x1, y1, x2, y2])``.

    Objects that find no free spot are dropped.

    ``x2``/``y2`` are exclusive, so ``x2 - x1`` is the box width in pixels.
    """
    counts = stats['objects_per_image']['hist']
    n_choices = np.array([int(k) for k in counts])
    n_probs = np.array(list(counts.values()), np.float64)
    n = min(int(rng.choice(n_choices, p=n_probs / n_probs.sum())),
            max_objects)
    freq = np.array([stats['class_freq'][c] for c in SAR_AIRCRAFT_CLASSES])
    names = rng.choice(len(freq), size=n, p=freq / freq.sum())

    reflect = clutter(img_size, rng)
    objects = []
    for idx in names:
        name = SAR_AIRCRAFT_CLASSES[idx]
        shape = CLASS_SHAPES.get(name) or OTHER_SHAPES[rng.integers(
            len(OTHER_SHAPES))]
        patch = render_target(
            shape, sample_box_wh(stats, name, img_size, rng, scene_size), rng)
        ph, pw = patch.shape
        for _ in range(50):  # rejection sampling for a free spot
            x1 = int(rng.integers(0, img_size - pw + 1))
            y1 = int(rng.integers(0, img_size - ph + 1))
            box = [x1, y1, x1 + pw, y1 + ph]
            if all(not _overlap(box, b, margin=2) for _, b in objects):
                break
        else:
            continue  # no room left; drop this object
        reflect[y1:y1 + ph, x1:x1 + pw] += patch * rng.uniform(170, 230)
        objects.append((name, box))
    looks = 3  # multi-look speckle: gamma(L, 1/L) has mean 1
    speckle = rng.gamma(looks, 1 / looks, reflect.shape)
    img = np.clip(reflect * speckle, 0, 255).astype(np.uint8)
    return img, objects


def annotation_xml(filename: str, width: int, height: int,
                   objects: Sequence[Tuple[str, List[int]]]) -> str:
    """Format an annotation exactly like the SAR-AIRcraft-1.0 files."""
    parts = [
        f'<annotation>\n<filename>{escape(filename)}</filename><size>\n'
        f'<width>{width}</width>\n<height>{height}</height>\n</size>\n'
    ]
    for name, (x1, y1, x2, y2) in objects:
        parts.append(
            f'<object>\n<name>{escape(name)}</name>\n<pose>Unspecified</pose>'
            f'\n<truncated>0</truncated>\n<difficult>0</difficult>\n'
            f'<bndbox>\n<xmin>{x1}</xmin>\n<ymin>{y1}</ymin>\n'
            f'<xmax>{x2}</xmax>\n<ymax>{y2}</ymax>\n</bndbox>\n</object>\n')
    parts.append('</annotation>\n')
    return ''.join(parts)


def generate_dataset(out_dir: str,
                     num_train: int = 24,
                     num_test: int = 8,
                     img_size: int = 256,
                     seed: int = 0,
                     max_objects: int = 10,
                     stats: Optional[dict] = None,
                     scene_size: Optional[int] = None
                     ) -> Dict[str, List[str]]:
    """Write a synthetic dataset in the SAR-AIRcraft-1.0 layout.

    Args:
        out_dir (str): Output root (created if missing).
        num_train (int): Train images. Defaults to 24.
        num_test (int): Test images. Defaults to 8.
        img_size (int): Side of the square images in px. Defaults to 256.
        seed (int): Random seed; image ``i`` uses ``SeedSequence([seed, i])``
            so results do not depend on the number of images.
        max_objects (int): Cap on objects per image. Defaults to 10.
        stats (dict, optional): Statistics; defaults to :func:`load_stats`.
        scene_size (int, optional): Box sizes follow the real ones relative
            to a scene of this side, i.e. each image is an ``img_size`` crop
            of a ``scene_size`` scene at full resolution. Small images with
            ``scene_size=800`` keep aircraft as many pixels wide as in the
            paper's 800 px training, which anchors and strides are made for.
            Defaults to ``img_size`` (the whole scene, downscaled).

    Returns:
        dict: ``{'train': [stems], 'test': [stems]}``.
    """
    if img_size < 4 * MIN_BOX:
        raise ValueError(
            f'img_size={img_size} is too small for {MIN_BOX}px targets; use '
            f'at least {4 * MIN_BOX}.')
    if num_train < 0 or num_test < 0 or num_train + num_test == 0:
        raise ValueError('need num_train + num_test > 0 (both >= 0)')
    stats = stats or load_stats()
    for sub in ('Annotations', 'JPEGImages', osp.join('ImageSets', 'Main')):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    splits = dict(train=[], test=[])
    for i in range(num_train + num_test):
        stem = f'{i + 1:07d}'
        rng = np.random.default_rng(np.random.SeedSequence([seed, i]))
        img, objects = generate_image(stats, img_size, max_objects, rng,
                                      scene_size)
        Image.fromarray(img).save(
            osp.join(out_dir, 'JPEGImages', f'{stem}.jpg'), quality=95)
        with open(osp.join(out_dir, 'Annotations', f'{stem}.xml'), 'w') as f:
            f.write(annotation_xml(f'{stem}.jpg', img_size, img_size,
                                   objects))
        splits['train' if i < num_train else 'test'].append(stem)
    for split, stems in splits.items():
        with open(osp.join(out_dir, 'ImageSets', 'Main', f'{split}.txt'),
                  'w') as f:
            f.write(''.join(f'{s}\n' for s in stems))
    with open(osp.join(out_dir, GENERATOR_FILE), 'w') as f:
        json.dump(
            generator_args(num_train, num_test, img_size, seed, max_objects,
                           scene_size), f)
    return splits


def generator_args(num_train: int = 24,
                   num_test: int = 8,
                   img_size: int = 256,
                   seed: int = 0,
                   max_objects: int = 10,
                   scene_size: Optional[int] = None) -> dict:
    """The arguments recorded in ``GENERATOR_FILE``, defaults filled in."""
    return dict(num_train=num_train, num_test=num_test, img_size=img_size,
                seed=seed, max_objects=max_objects,
                scene_size=scene_size or img_size)


def _overlap(a: Sequence[int], b: Sequence[int], margin: int = 0) -> bool:
    return (a[0] < b[2] + margin and b[0] < a[2] + margin
            and a[1] < b[3] + margin and b[1] < a[3] + margin)
