"""Geometric transforms whose random draw can be shared by co-registered
images (EO / SAR, optical / SAR) through mmcv's ``TransformBroadcaster``."""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from ifkd.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomRot90(BaseTransform):
    """Rotate the image (and ``gt_seg_map`` when present) counter-clockwise
    by an angle drawn from ``angles``, with probability ``prob``.

    The draw is a ``cache_randomness`` method, so inside
    ``TransformBroadcaster(..., share_random_params=True)`` every
    co-registered image gets the same rotation::

        dict(type='TransformBroadcaster',
             mapping={'img': ['eo_img', 'sar_img']},
             auto_remap=True, share_random_params=True,
             transforms=[dict(type='ifkd.RandomRot90', prob=0.75)])

    ``prob=1`` with one angle is a fixed rotation (a test-time view).
    Rotations by multiples of 90 degrees are exact (no interpolation), and
    a rectangular image swaps its height and width.

    Args:
        prob (float): Probability of rotating. Defaults to 0.75 (each of
            the four orientations equally likely with the default angles).
        angles (Sequence[int]): Angles in degrees, multiples of 90, drawn
            uniformly. Defaults to (90, 180, 270).

    Added keys: ``rot90`` (the angle applied, 0 when none).
    """

    def __init__(self, prob: float = 0.75,
                 angles: Sequence[int] = (90, 180, 270)) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'RandomRot90: prob must lie in [0, 1], got '
                             f'{prob}.')
        if not angles or any(a % 90 for a in angles):
            raise ValueError(f'RandomRot90: angles must be multiples of 90 '
                             f'degrees, e.g. (90, 180, 270); got {angles}.')
        self.prob = prob
        self.angles = tuple(int(a) for a in angles)

    @cache_randomness
    def _draw_angle(self) -> int:
        if np.random.rand() >= self.prob:
            return 0
        return self.angles[np.random.randint(len(self.angles))]

    def transform(self, results: dict) -> dict:
        angle = self._draw_angle()
        k = (angle // 90) % 4
        if k:
            for key in ('img', 'gt_seg_map'):
                if results.get(key) is not None:
                    results[key] = np.ascontiguousarray(
                        np.rot90(results[key], k))
            results['img_shape'] = results['img'].shape[:2]
        results['rot90'] = angle
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(prob={self.prob}, '
                f'angles={self.angles})')
