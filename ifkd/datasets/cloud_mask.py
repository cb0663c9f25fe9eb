"""Cloud masks derived from Sentinel-2 reflectance when no mask file exists.

The score is the Sentinel-2 cloud detector of DSen2-CR (Meraner et al.,
2020, https://github.com/ameraner/dsen2-cr, ``get_cloud_mask``), itself
after Google Earth Engine's Sentinel-2 cloud score: a pixel is cloud until
proven otherwise, and each test can only lower its score: bright in blue
(B2) and aerosol (B1), bright in B1 + cirrus (B10), bright in the visible
sum (B2 + B3 + B4), and not snow (NDSI from B3 and B11). The score map is
closed with a 5 x 5 grey closing and smoothed by a 7 x 7 box; the mask is
score >= ``threshold`` (0.2 as in DSen2-CR).
"""
import numpy as np
from scipy.ndimage import grey_closing, uniform_filter

CLOUD_THRESHOLD = 0.2


def _rescale(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip((x - lo) / (hi - lo), 0., 1.)


def cloud_score(s2: np.ndarray) -> np.ndarray:
    """Cloud score in [0, 1] of a (H, W, 13) S2 reflectance tile (0-1)."""
    if s2.ndim != 3 or s2.shape[2] != 13:
        raise ValueError(f'cloud_score needs all 13 S2 bands as (H, W, 13) '
                         f'reflectance; got {s2.shape}.')
    b = [s2[..., i].astype(np.float64) for i in range(13)]
    score = np.ones(s2.shape[:2])
    score = np.minimum(score, _rescale(b[1], 0.1, 0.5))
    score = np.minimum(score, _rescale(b[0], 0.1, 0.3))
    score = np.minimum(score, _rescale(b[0] + b[10], 0.4, 0.9))
    score = np.minimum(score, _rescale(b[3] + b[2] + b[1], 0.2, 0.8))
    ndsi = (b[2] - b[11]) / np.maximum(b[2] + b[11], 1e-6)
    score = np.minimum(score, _rescale(ndsi, 0.8, 0.6))
    score = grey_closing(score, size=(5, 5))
    score = uniform_filter(score, size=7, mode='constant')
    return np.clip(score, 1e-5, 1.)


def derive_cloud_mask(s2: np.ndarray,
                      threshold: float = CLOUD_THRESHOLD) -> np.ndarray:
    """Binary (H, W) float32 cloud mask of a (H, W, 13) reflectance tile."""
    return (cloud_score(s2) >= threshold).astype(np.float32)
