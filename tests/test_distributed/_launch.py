"""Run ifkd's launch scripts as a user would, on loopback, without CUDA."""
import glob
import json
import os
import os.path as osp
import socket
import subprocess
import sys
from typing import Dict, List, Optional

import numpy as np

from tests.conftest import REPO, config_path, tiny_options

IFKD = config_path(
    'ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft.py')
STUDENT = config_path(
    'retinanet/retinanet_mbv2_fpn_1x_synthetic-sar-aircraft.py')
TIMEOUT = 300
IMG_SIZE = 64


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def dist_env(**extra: str) -> Dict[str, str]:
    """The environment of a CPU launch: loopback only, CUDA hidden (so the
    CPU path runs on GPU CI machines too), this interpreter."""
    env = dict(os.environ)
    # the repository first: site-packages may hold another ``tests``
    path = [REPO] + [p for p in [env.get('PYTHONPATH')] if p]
    env.update(PYTHON=sys.executable, MASTER_ADDR='127.0.0.1',
               PYTHONPATH=os.pathsep.join(path),
               PORT=str(free_port()), GLOO_SOCKET_IFNAME='lo',
               CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1')
    env.update(extra)
    return env


def cfg_args(options: dict) -> List[str]:
    """``--cfg-options`` arguments for ``options`` (mmengine's DictAction
    parses ints, floats, True/False/None and tuples back)."""
    out = []
    for key, value in options.items():
        if isinstance(value, tuple):
            value = '(' + ','.join(str(v) for v in value) + ')'
        out.append(f'{key}={value}')
    return ['--cfg-options', *out]


def launch(script: str, args: List[str], env: Dict[str, str],
           timeout: int = TIMEOUT, check: bool = True
           ) -> subprocess.CompletedProcess:
    """Run ``bash tools/<script> args`` from the repository root."""
    proc = subprocess.run(['bash', osp.join(REPO, 'tools', script), *args],
                          cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{script} {args[:2]} failed '
                             f'({proc.returncode}):\n{proc.stderr[-6000:]}')
    return proc


def distill_options(data_root: str, sam: str, cache_dir: str,
                    batch_size: int, epochs: int) -> dict:
    """A seeded, comparable IFKD RetinaNet run on the tiny synthetic set.

    * ``norm_eval``: the student's BN layers use their running statistics,
      so a rank's batch of b normalises as the same images in a batch of 2b
      (the configs use plain BN; SyncBN has no CPU kernel in torch).
    * no random flip, and a fixed FDR window (``ratio_range=(r, r)``): the
      remaining randomness is the sampler's, which depends on (seed, epoch)
      only, so a resumed run can replay it.
    * FDR's gradient rescaling off (``grad_norm=None``): it rescales each
      process's gradient of W before DDP averages them, so N x b and 1 x Nb
      take different W steps (1e-3 relative in the feature loss after 4
      steps, measured); every other term is averaged as usual.
    * small and fast: 64 px images, a MobileNetV2 RetinaNet as the teacher
      (same 256-channel FPN, so the IFKD distiller is unchanged) with its
      seeded initial weights, no validation.
    """
    opts = {
        **tiny_options(data_root, epochs),
        'randomness.seed': 0,
        'train_cfg.val_begin': 1000,
        'model.teacher.cfg_path': STUDENT,
        'train_dataloader.batch_size': batch_size,
        'train_dataloader.dataset.pipeline.3.prob': 0.0,
        'model.architecture.backbone.norm_eval': True,
        'model.teacher_ckpt': None,
        'model.distiller.sam_checkpoint': sam,
        'model.distiller.sam_cache.dir': cache_dir,
    }
    for loader, idx in (('train', 2), ('val', 1), ('test', 1)):
        opts[f'{loader}_dataloader.dataset.pipeline.{idx}.scale'] = (
            IMG_SIZE, IMG_SIZE)
    for level in range(5):
        opts[f'model.distiller.connectors.t_fdr{level}.ratio_range'] = (0.3,
                                                                        0.3)
        opts[f'model.distiller.connectors.t_fdr{level}.grad_norm'] = None
    return opts


def write_config(folder: str, base: str = IFKD,
                 hooks: str = "dict(type='ifkd.SAMCacheHook'), ") -> str:
    """``base`` (by default the shipped IFKD RetinaNet config) with the
    recorder hook after its own custom ``hooks``."""
    path = osp.join(folder, 'recorded_' + osp.basename(base))
    with open(path, 'w') as f:
        f.write(f'_base_ = {base!r}\n'
                "custom_imports = dict(imports=['ifkd', "
                "'tests.test_distributed._instrument'], "
                'allow_failed_imports=False)\n'
                f"custom_hooks = [{hooks}dict(type='RankLossRecorder')]\n")
    return path


def train_args(work_dir: str, options: dict, resume: bool = False
               ) -> List[str]:
    """tools/train.py's arguments after the config."""
    return ['--work-dir', work_dir, *(['--resume'] if resume else []),
            *cfg_args(options)]


def rank_losses(work_dir: str, rank: int = 0) -> Dict[int, dict]:
    """{step: logged losses} of one rank (see ``_instrument``); a resumed
    run's rows replace the killed run's rows of the same step."""
    rows = {}
    with open(osp.join(work_dir, f'losses_rank{rank}.jsonl')) as f:
        for line in f:
            row = json.loads(line)
            rows[row.pop('step')] = row
    return rows


def mean_over_ranks(work_dir: str, world_size: int = 2) -> Dict[int, dict]:
    """{step: each logged loss averaged over the ranks}: what one process
    computes for the union of the ranks' batches when every loss is a mean
    over its batch."""
    ranks = [rank_losses(work_dir, r) for r in range(world_size)]
    return {
        step: {k: float(np.mean([r[step][k] for r in ranks]))
               for k in ranks[0][step] if 'loss' in k}
        for step in ranks[0]
    }


def logged_scalars(work_dir: str) -> List[dict]:
    """The train rows of mmengine's own ``vis_data/scalars.json``."""
    rows = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                          'scalars.json'))):
        with open(path) as f:
            rows += [json.loads(line) for line in f]
    return [r for r in rows if 'loss' in r]


def checkpoint(work_dir: str, name: str) -> Optional[str]:
    path = osp.join(work_dir, name)
    return path if osp.isfile(path) else None
