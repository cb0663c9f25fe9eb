"""Scene accuracy overall and per cloud-cover bucket."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from ifkd.registry import METRICS


def bucket_names(edges: Sequence[float]) -> List[str]:
    """``['<30', '30-70', '>70']`` for edges ``(0.3, 0.7)``."""
    pct = [f'{100 * e:g}' for e in edges]
    return [f'<{pct[0]}'] + [f'{a}-{b}' for a, b in zip(pct, pct[1:])] + [
        f'>{pct[-1]}'
    ]


@METRICS.register_module()
class CloudCoverAccuracy(BaseMetric):
    """Accuracy (%) of all samples and of each cloud-cover bucket.

    Reads ``cloud_cover`` (fraction of clouded pixels, from
    ``ifkd.LoadSEN12MSPatch``) from each data sample's metainfo; bucket
    ``j`` holds covers in ``[edges[j-1], edges[j])``. Keys:
    ``cloud/accuracy``, ``cloud/acc_<30``, ``cloud/acc_30-70``,
    ``cloud/acc_>70`` and ``cloud/n_<bucket>`` (sample counts). An empty
    bucket scores NaN.

    Args:
        edges (Sequence[float]): Increasing bucket edges in (0, 1).
        collect_device (str): Device to gather results across ranks.
        prefix (str, optional): Key prefix. Defaults to 'cloud'.
    """

    default_prefix: Optional[str] = 'cloud'

    def __init__(self, edges: Sequence[float] = (0.3, 0.7),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if list(edges) != sorted(edges) or not all(0 < e < 1 for e in edges):
            raise ValueError(f'edges {edges} must increase within (0, 1).')
        self.edges = tuple(edges)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'cloud_cover' not in sample:
                raise KeyError(
                    'CloudCoverAccuracy: a data sample has no cloud_cover; '
                    "load it with ifkd.LoadSEN12MSPatch(cloud_mask='auto') "
                    "and pack it (meta_keys=(..., 'cloud_cover')).")
            pred = int(sample['pred_score'].argmax()) if (
                'pred_score' in sample) else int(sample['pred_label'][0])
            gt = int(sample['gt_label'].reshape(-1)[0])
            self.results.append((pred == gt, float(sample['cloud_cover'])))

    def compute_metrics(self, results: List) -> Dict[str, float]:
        correct = np.array([r[0] for r in results], bool)
        bucket = np.digitize([r[1] for r in results], self.edges)
        out = {'accuracy': 100. * correct.mean()}
        for j, name in enumerate(bucket_names(self.edges)):
            hit = correct[bucket == j]
            out[f'acc_{name}'] = 100. * hit.mean() if hit.size else float(
                'nan')
            out[f'n_{name}'] = int(hit.size)
        return out
