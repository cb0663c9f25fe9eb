"""Compare the checkpoints and logged losses of two training runs."""
import os.path as osp
from typing import Dict

import torch

# Tolerances. Both runs do the same float32 arithmetic per image; they
# differ in how sums are grouped: DDP all-reduces two per-rank gradients
# (and the test averages the ranks' losses) where one process sums over its
# batch, and CPU kernels may block a batch of 2 differently from a batch
# of 1. Regrouping a float32 sum changes it by a few ulps (~1e-7
# relative), which 4 SGD steps carry into the weights without amplifying
# it. Measured: losses 2e-7 relative, weights 2e-8 absolute (for weights up
# to ~5), both for IFKD RetinaNet and for logit KD; a resumed run is
# bit-identical. The bounds leave a 50x margin and stay far below what a
# real mismatch moves: the two ranks' losses on their different images
# differ by >1e-3 (asserted), one epoch moves the weights by 0.02-0.05
# (asserted > 100 x WEIGHT_ATOL), so a lost or doubled shard, or gradients
# not averaged, would show.
LOSS_RTOL = 1e-5
WEIGHT_ATOL = 1e-6

# Learnable state of a distillation run: the student and the connectors
# (FDR filters, adapters); the teacher and MobileSAM are frozen.
TRAINED_PREFIXES = ('architecture.', 'distiller.')


def trained_state(work_dir: str, name: str) -> Dict[str, torch.Tensor]:
    state = torch.load(osp.join(work_dir, name), map_location='cpu')
    return {
        k: v.float()
        for k, v in state['state_dict'].items()
        if k.startswith(TRAINED_PREFIXES) and v.is_floating_point()
    }


def max_abs_diff(a: Dict[str, torch.Tensor],
                 b: Dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max((a[k] - b[k]).abs().max().item() for k in a)


def loss_keys(row: dict) -> list:
    return sorted(k for k in row if 'loss' in k)
