"""Building-footprint metrics of binary segmentation: DisOptNet's per-image
Dice, pixel IoU / F1 and the SpaceNet 6 polygon F1."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from scipy import ndimage

from ifkd.registry import METRICS


def image_dice(pred: np.ndarray, gt: np.ndarray, smooth: float = 1.0
               ) -> float:
    """``(2 |P ∩ G| + smooth) / (|P| + |G| + smooth)`` of one image, as the
    DisOptNet code's ``dice_coeff`` (an empty image scores 1)."""
    p, g = pred.astype(bool), gt.astype(bool)
    return (2 * (p & g).sum() + smooth) / (p.sum() + g.sum() + smooth)


def buildings(mask: np.ndarray, min_area: int) -> List[np.ndarray]:
    """Connected components (8-connectivity) of a binary mask of at least
    ``min_area`` pixels, as flat pixel-index arrays."""
    labels, num = ndimage.label(mask.astype(bool), structure=np.ones((3, 3)))
    if num == 0:
        return []
    flat = labels.ravel()
    order = np.argsort(flat, kind='stable')
    bounds = np.searchsorted(flat[order], np.arange(1, num + 2))
    comps = [order[bounds[i]:bounds[i + 1]] for i in range(num)]
    return [c for c in comps if c.size >= min_area]


def match_buildings(pred: Sequence[np.ndarray], gt: Sequence[np.ndarray],
                    iou_thr: float = 0.5) -> Tuple[int, int, int]:
    """SpaceNet's one-to-one matching: pairs are taken in decreasing IoU,
    each building used once, a pair counting if its IoU >= ``iou_thr``.
    Returns ``(tp, fp, fn)``."""
    pairs = []
    gt_sets = [set(g.tolist()) for g in gt]
    for i, p in enumerate(pred):
        ps = set(p.tolist())
        for j, gs in enumerate(gt_sets):
            inter = len(ps & gs)
            if inter:
                iou = inter / (len(ps) + len(gs) - inter)
                if iou >= iou_thr:
                    pairs.append((iou, i, j))
    used_p, used_g = set(), set()
    for _, i, j in sorted(pairs, reverse=True):
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
    tp = len(used_p)
    return tp, len(pred) - tp, len(gt) - tp


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


@METRICS.register_module()
class BuildingMetric(BaseMetric):
    """Metrics of binary building segmentation (class ``building_index``).

    * ``dice``: mean over images of the per-image Dice with smooth 1
      (DisOptNet's validation metric);
    * ``iou`` / ``f1``: building-pixel IoU and F1 over the whole set;
    * ``polygon_f1`` / ``polygon_precision`` / ``polygon_recall``:
      SpaceNet 6's metric with connected components as buildings: a
      prediction matches a ground-truth building at IoU >= ``iou_thr``
      (one-to-one), buildings under ``min_area`` pixels are ignored on both
      sides.

    All in percent.

    Args:
        building_index (int): Label of the building class. Defaults to 1.
        iou_thr (float): Polygon match threshold. Defaults to 0.5.
        min_area (int): Smallest building, in pixels. Defaults to 80
            (SpaceNet 6's 80 px at 0.5 m).
        ignore_index (int): Pixels ignored by the pixel metrics. Defaults
            to 255.
        **kwargs: See ``BaseMetric``.
    """
    default_prefix = 'building'

    def __init__(self,
                 building_index: int = 1,
                 iou_thr: float = 0.5,
                 min_area: int = 80,
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.building_index = building_index
        self.iou_thr = iou_thr
        self.min_area = min_area
        self.ignore_index = ignore_index

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = sample['pred_sem_seg']['data'].squeeze(0).cpu().numpy()
            gt = sample['gt_sem_seg']['data'].squeeze(0).cpu().numpy()
            self.results.append(self.image_stats(pred, gt))

    def image_stats(self, pred: np.ndarray, gt: np.ndarray) -> Dict:
        """The counts one image adds to the set's metrics."""
        valid = gt != self.ignore_index
        p = (pred == self.building_index) & valid
        g = (gt == self.building_index) & valid
        tp, fp, fn = match_buildings(
            buildings(p, self.min_area), buildings(g, self.min_area),
            self.iou_thr)
        return dict(dice=image_dice(p, g), inter=int((p & g).sum()),
                    pred=int(p.sum()), gt=int(g.sum()), tp=tp, fp=fp, fn=fn)

    def compute_metrics(self, results: List[Dict]) -> Dict[str, float]:
        tot = {k: sum(r[k] for r in results)
               for k in ('inter', 'pred', 'gt', 'tp', 'fp', 'fn')}
        union = tot['pred'] + tot['gt'] - tot['inter']
        tp, fp, fn = tot['tp'], tot['fp'], tot['fn']
        return {
            'dice': 100 * float(np.mean([r['dice'] for r in results])),
            'iou': 100 * (tot['inter'] / union if union else 1.0),
            'f1': 100 * f1(tot['inter'], tot['pred'] - tot['inter'],
                           tot['gt'] - tot['inter']),
            'polygon_f1': 100 * f1(tp, fp, fn),
            'polygon_precision': 100 * (tp / (tp + fp) if tp + fp else 1.0),
            'polygon_recall': 100 * (tp / (tp + fn) if tp + fn else 1.0),
        }
