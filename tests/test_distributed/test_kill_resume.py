"""A seeded IFKD run killed with SIGKILL, then restarted with ``--resume``,
continues as the uninterrupted run did from the same checkpoint (losses,
student, connectors and optimizer state); a kill while a checkpoint is being
written leaves no checkpoint under that name, so ``--resume`` takes the
previous one.

The uninterrupted run is ``single_run`` (1 process x batch 2). The killed
runs go through tools/train.py without a launcher, as a one-machine user
would restart them; a DDP wrapper of one process changes no arithmetic.
"""
import json
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest
import torch

from tests.conftest import REPO
from tests.test_distributed import _launch
from tests.test_distributed._compare import (LOSS_RTOL, WEIGHT_ATOL,
                                             loss_keys, max_abs_diff,
                                             trained_state)
from tests.test_distributed._instrument import (KILL_AFTER_ITER,
                                                KILL_IN_SAVE, KILL_NOTE)
from tests.test_distributed.conftest import EPOCHS


def _train(config, work, options, resume, returncode, **env):
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), config,
         *_launch.train_args(work, options, resume)],
        cwd=REPO, env=_launch.dist_env(**env), capture_output=True,
        text=True, timeout=_launch.TIMEOUT)
    assert proc.returncode == returncode, proc.stderr[-6000:]
    return proc


def _rows(work):
    with open(osp.join(work, 'losses_rank0.jsonl')) as f:
        return [json.loads(line) for line in f]


def _last_checkpoint(work):
    with open(osp.join(work, 'last_checkpoint')) as f:
        return osp.basename(f.read().strip())


@pytest.fixture(scope='module')
def killed_and_resumed(dist_config, dist_root, sam_checkpoint, filled_cache,
                       tmp_path_factory):
    """Kill 1: after iteration 3 (mid-epoch 2). Resume 1: killed while
    writing epoch_2.pth. Resume 2: runs to the end."""
    work = str(tmp_path_factory.mktemp('kill') / 'work')
    options = _launch.distill_options(dist_root, sam_checkpoint,
                                      filled_cache['dir'], 2, EPOCHS)
    runs = {}
    killed = -signal.SIGKILL
    runs['kill_mid_epoch'] = _train(dist_config, work, options, False,
                                    killed, **{KILL_AFTER_ITER: '3'})
    runs['after_mid_epoch'] = (sorted(os.listdir(work)),
                               _last_checkpoint(work))
    runs['kill_in_save'] = _train(dist_config, work, options, True, killed,
                                  **{KILL_IN_SAVE: '2'})
    runs['after_save_kill'] = (sorted(os.listdir(work)),
                               _last_checkpoint(work))
    runs['resume'] = _train(dist_config, work, options, True, 0)
    return work, runs


def test_sigkill_mid_epoch_keeps_last_epoch(killed_and_resumed):
    work, runs = killed_and_resumed
    files, last = runs['after_mid_epoch']
    assert last == 'epoch_1.pth'
    assert [f for f in files if f.endswith('.pth')] == ['epoch_1.pth']
    assert [r['step'] for r in _rows(work)][:3] == [1, 2, 3]


def test_sigkill_while_saving_leaves_no_partial_checkpoint(
        killed_and_resumed):
    work, runs = killed_and_resumed
    assert 'Auto resumed from the latest checkpoint' in \
        runs['kill_in_save'].stdout + runs['kill_in_save'].stderr
    with open(osp.join(osp.dirname(work), KILL_NOTE)) as f:
        note = json.load(f)
    # the kill landed while epoch_2.pth's bytes were being written ...
    assert note['file'].startswith('.epoch_2.pth.') and note['size'] > 0
    files, last = runs['after_save_kill']
    # ... into a temp file: no epoch_2.pth exists, the record is unchanged
    assert 'epoch_2.pth' not in files and last == 'epoch_1.pth'


def test_resumed_run_continues_the_uninterrupted_run(killed_and_resumed,
                                                     single_run):
    work, runs = killed_and_resumed
    ref = _launch.rank_losses(single_run)
    rows = _rows(work)
    # kill 1 ran steps 1-3, resume 1 steps 3-4 (then died saving), resume 2
    # steps 3-4 again: each from epoch_1.pth, each as the uninterrupted run
    assert [r['step'] for r in rows] == [1, 2, 3, 3, 4, 3, 4]
    for row in rows:
        want = ref[row['step']]
        for k in loss_keys(want):
            assert row[k] == pytest.approx(want[k], rel=LOSS_RTOL), (row, k)
    last = f'epoch_{EPOCHS}.pth'
    resumed, uninterrupted = trained_state(work, last), trained_state(
        single_run, last)
    assert [k for k in resumed if '.connectors.' in k]
    assert max_abs_diff(resumed, uninterrupted) < WEIGHT_ATOL
    # the optimizer state (SGD momentum, connectors' too) matches as well
    opt = [
        torch.load(osp.join(w, last), map_location='cpu')['optimizer']
        for w in (work, single_run)
    ]
    assert opt[0]['state'].keys() == opt[1]['state'].keys()
    for i, state in opt[1]['state'].items():
        torch.testing.assert_close(opt[0]['state'][i]['momentum_buffer'],
                                   state['momentum_buffer'], rtol=0,
                                   atol=WEIGHT_ATOL)
