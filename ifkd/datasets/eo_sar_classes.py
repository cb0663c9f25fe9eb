"""Vehicle classes of the multi-modal aerial view object classification
challenge (MAVOC, PBVS 2024) and its long-tailed training frequencies."""
from typing import Tuple

import numpy as np

EO_SAR_CLASSES = ('sedan', 'SUV', 'pickup_truck', 'van', 'box_truck',
                  'motorcycle', 'flatbed_truck', 'bus',
                  'pickup_truck_w_trailer', 'semi_w_trailer')

# Training chips per class of the challenge release (approximate): the
# largest class holds ~1000 times as many chips as the smallest.
CHALLENGE_COUNTS = (364291, 43401, 24158, 16890, 2896, 1441, 898, 612, 398,
                    360)


def long_tail_frequencies(power: float = 0.5) -> Tuple[float, ...]:
    """Class shares ``count_c ** power`` (normalised) of the challenge.

    ``power=1`` keeps the challenge's 1000:1 imbalance; a small synthetic
    set would then hold a single chip of most classes, so the default
    square root keeps the order and the long tail (about 32:1).

    Args:
        power (float): Exponent in (0, 1] applied to the counts.
    """
    if not 0 < power <= 1:
        raise ValueError(f'power must lie in (0, 1], got {power}')
    w = np.asarray(CHALLENGE_COUNTS, np.float64)**power
    return tuple((w / w.sum()).tolist())
