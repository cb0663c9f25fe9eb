"""Test instrumentation loaded into training processes by ``custom_imports``.

``RankLossRecorder`` writes each rank's logged losses of every iteration
(mmengine logs only rank 0's) to ``<work_dir>/losses_rank<r>.jsonl``, and,
when asked through the environment, kills its own process with SIGKILL:

* ``IFKD_TEST_KILL_AFTER_ITER=N``: after iteration N (1-based) has run;
* ``IFKD_TEST_KILL_IN_SAVE=N``: while the checkpoint of epoch N is being
  written, i.e. as soon as a new file in the work dir holds some bytes.
"""
import json
import os
import os.path as osp
import signal
import threading
import time

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

KILL_AFTER_ITER = 'IFKD_TEST_KILL_AFTER_ITER'
KILL_IN_SAVE = 'IFKD_TEST_KILL_IN_SAVE'
KILL_NOTE = 'kill_note.json'


def _kill_when_a_file_grows(folder: str, before: set, note: str) -> None:
    """SIGKILL this process once a file absent from ``before`` has bytes."""
    while True:
        for name in set(os.listdir(folder)) - before:
            try:
                size = os.stat(osp.join(folder, name)).st_size
            except OSError:
                continue
            if size > 0:
                with open(note, 'w') as f:
                    json.dump(dict(file=name, size=size), f)
                os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.0005)


@HOOKS.register_module()
class RankLossRecorder(Hook):
    """Record every rank's losses; optionally die by SIGKILL (see module
    docstring)."""

    priority = 'VERY_LOW'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        step = runner.iter + 1
        row = dict(step=step, epoch=runner.epoch + 1,
                   **{k: float(v) for k, v in (outputs or {}).items()})
        path = osp.join(runner.work_dir, f'losses_rank{runner.rank}.jsonl')
        with open(path, 'a') as f:
            f.write(json.dumps(row) + '\n')
        if os.environ.get(KILL_AFTER_ITER) == str(step):
            os.kill(os.getpid(), signal.SIGKILL)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if os.environ.get(KILL_IN_SAVE) != str(runner.epoch + 1):
            return
        folder = runner.work_dir
        note = osp.join(osp.dirname(folder.rstrip('/')), KILL_NOTE)
        threading.Thread(
            target=_kill_when_a_file_grows,
            args=(folder, set(os.listdir(folder)), note),
            daemon=True).start()
