"""ifkd.compat.atomic_checkpoint: a SIGKILL while mmengine writes a
checkpoint leaves a truncated file under the checkpoint's name without the
fix (shown in a fresh process without ifkd), and no file under that name
with it; auto-resume skips a broken ``last_checkpoint`` record."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

from ifkd.compat.atomic_checkpoint import atomic_write, latest_checkpoint
from tests.conftest import REPO

# Saves a ~40 MB checkpoint with mmengine and is SIGKILLed by a watcher
# thread as soon as any new file in the folder holds bytes.
_SCRIPT = r'''
import importlib.util, sys, threading
import torch
from mmengine.runner.checkpoint import save_checkpoint
sys.path.insert(0, sys.argv[3])
from tests.test_distributed._instrument import _kill_when_a_file_grows
folder, mode = sys.argv[1], sys.argv[2]
if mode == 'fixed':  # the module alone, without the rest of ifkd
    spec = importlib.util.spec_from_file_location(
        'atomic_checkpoint', sys.argv[3] + '/ifkd/compat/atomic_checkpoint.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.patch_atomic_checkpoint()
state = {'state_dict': {'w': torch.ones(10_000_000)}}
threading.Thread(target=_kill_when_a_file_grows,
                 args=(folder, set(), folder + '.note'), daemon=True).start()
save_checkpoint(state, folder + '/epoch_1.pth')
'''


def _killed_save(folder: str, mode: str) -> list:
    os.makedirs(folder)
    proc = subprocess.run([sys.executable, '-c', _SCRIPT, folder, mode,
                           REPO], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    return sorted(os.listdir(folder))


def test_kill_while_saving_truncates_checkpoint_without_fix(tmp_path):
    folder = str(tmp_path / 'ckpt')
    assert _killed_save(folder, 'upstream') == ['epoch_1.pth']
    path = osp.join(folder, 'epoch_1.pth')
    assert 0 < os.path.getsize(path) < 40_000_000
    with pytest.raises(Exception):
        torch.load(path)


def test_kill_while_saving_leaves_only_a_temp_file_with_fix(tmp_path):
    folder = str(tmp_path / 'ckpt')
    files = _killed_save(folder, 'fixed')
    assert len(files) == 1 and files[0].startswith('.epoch_1.pth.')
    assert files[0].endswith('.tmp')


def test_atomic_write_replaces_whole_file(tmp_path):
    path = str(tmp_path / 'sub' / 'a.bin')
    atomic_write(b'old', path)
    atomic_write(b'new content', path)
    with open(path, 'rb') as f:
        assert f.read() == b'new content'
    assert os.listdir(tmp_path / 'sub') == ['a.bin']


def test_auto_resume_skips_a_broken_record(tmp_path):
    from mmengine.runner.checkpoint import find_latest_checkpoint
    find = latest_checkpoint(find_latest_checkpoint)
    work = str(tmp_path)
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        with open(osp.join(work, name), 'wb') as f:
            f.write(b'x')
        time.sleep(0.01)
    os.utime(osp.join(work, 'epoch_1.pth'), (1, 1))
    record = osp.join(work, 'last_checkpoint')
    with open(record, 'w') as f:
        f.write(osp.join(work, 'epoch_1.pth'))
    assert find(work) == osp.join(work, 'epoch_1.pth')  # a good record
    for broken in ('', osp.join(work, 'epoch_3.pth')):
        with open(record, 'w') as f:
            f.write(broken)
        assert find_latest_checkpoint(work) == broken  # upstream
        with pytest.warns(UserWarning, match='not a file'):
            assert find(work) == osp.join(work, 'epoch_2.pth')
    os.remove(record)
    assert find(work) is None  # nothing recorded: nothing to resume
