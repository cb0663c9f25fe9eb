"""ifkd.compat.dist_cpu: mmengine's pytorch launcher and DDP wrapper fail
without CUDA (shown in fresh processes without ifkd), work with the fix,
and are left alone where CUDA is present."""
import json
import subprocess
import sys

import pytest
import torch
from torch.nn.parallel import DistributedDataParallel

from ifkd.compat import dist_cpu
from tests.test_distributed import _launch

# A one-rank "pytorch" launch, as torch.distributed.run sets it up.
_SCRIPT = r'''
import json, os, sys
import torch
from torch import nn
mode = sys.argv[1]
if mode == 'fixed':
    import ifkd  # noqa: F401
from mmengine.dist import init_dist
from mmengine.model import BaseModel
from mmengine.runner import Runner


class Toy(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.fc(inputs)


if mode == 'launcher':
    init_dist('pytorch', backend='gloo')
if mode == 'wrapper':  # get past the launcher by hand
    torch.distributed.init_process_group('gloo')
# 'fixed' keeps mmdet's default backend, nccl: no flag at all
runner = Runner(model=Toy(), work_dir=sys.argv[2], launcher='pytorch',
                env_cfg=dict(dist_cfg=dict(backend='nccl')))
ddp = runner.model
out = ddp(torch.ones(1, 2))
print(json.dumps(dict(
    backend=torch.distributed.get_backend(), wrapper=type(ddp).__name__,
    device_ids=ddp.device_ids, out=out.item(),
    expected=(ddp.module.fc.weight.sum() + ddp.module.fc.bias).item())))
'''


def _one_rank(mode: str, work_dir: str) -> subprocess.CompletedProcess:
    env = _launch.dist_env(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1')
    env['MASTER_PORT'] = env['PORT']
    return subprocess.run([sys.executable, '-c', _SCRIPT, mode, work_dir],
                          env=env, capture_output=True, text=True,
                          timeout=_launch.TIMEOUT)


def test_pytorch_launcher_needs_cuda_without_fix(tmp_path):
    proc = _one_rank('launcher', str(tmp_path))
    assert proc.returncode != 0
    assert 'init_dist' in proc.stderr and 'set_device' in proc.stderr
    assert 'NVIDIA' in proc.stderr or 'CUDA' in proc.stderr


def test_model_wrapper_needs_cuda_without_fix(tmp_path):
    proc = _one_rank('wrapper', str(tmp_path))
    assert proc.returncode != 0
    assert 'wrap_model' in proc.stderr
    assert 'device_ids and output_device arguments only work' in proc.stderr


def test_fix_launches_and_wraps_on_cpu_with_gloo(tmp_path):
    proc = _one_rank('fixed', str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-4000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got['backend'] == 'gloo'  # nccl asked, no CUDA: gloo
    assert got['wrapper'] == 'MMDistributedDataParallel'
    assert got['device_ids'] is None
    assert abs(got['out'] - got['expected']) < 1e-6


def test_nothing_changes_where_cuda_is_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    real_set_device = torch.cuda.set_device
    real_ddp_init = DistributedDataParallel.__init__
    seen = []

    def launch(backend, *args, **kwargs):
        seen.append((backend, args, kwargs, torch.cuda.set_device))

    dist_cpu.cpu_launcher(launch)('nccl', 'torch', timeout=5)
    assert seen == [('nccl', ('torch', ), dict(timeout=5), real_set_device)]

    class Runner:
        distributed = True

    def wrap_model(runner, cfg, model):
        seen.append(DistributedDataParallel.__init__)
        return model

    model = torch.nn.Linear(1, 1)
    assert dist_cpu.cpu_wrap_model(wrap_model)(Runner(), None, model) is model
    assert seen[-1] is real_ddp_init


def test_cpu_path_skips_set_device_and_device_ids(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    real_set_device = torch.cuda.set_device
    assert dist_cpu.cpu_backend('nccl') == 'gloo'
    assert dist_cpu.cpu_backend('mpi') == 'mpi'
    calls = []

    def launch(backend):
        torch.cuda.set_device(3)  # a no-op here, not an error
        calls.append(backend)

    dist_cpu.cpu_launcher(launch)('nccl')
    assert calls == ['gloo'] and torch.cuda.set_device is real_set_device

    real_ddp_init = DistributedDataParallel.__init__
    store = torch.distributed.FileStore(str(tmp_path / 'store'), 1)
    torch.distributed.init_process_group('gloo', store=store, rank=0,
                                         world_size=1)
    try:
        with pytest.raises(ValueError, match='device_ids'):
            DistributedDataParallel(torch.nn.Linear(2, 1), device_ids=[0])
        with dist_cpu._cpu_ddp_device_ids():
            ddp = DistributedDataParallel(torch.nn.Linear(2, 1),
                                          device_ids=[0])
        assert ddp.device_ids is None
        assert DistributedDataParallel.__init__ is real_ddp_init
    finally:
        torch.distributed.destroy_process_group()


def test_slurm_launcher_on_cpu(monkeypatch):
    """One slurm task, as srun describes it in the environment."""
    import mmengine.dist.utils as dist_utils
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    for key, value in dict(
            SLURM_PROCID='0', SLURM_NTASKS='1', SLURM_NODELIST='localhost',
            SLURM_LOCALID='0', MASTER_ADDR='127.0.0.1',
            MASTER_PORT=str(_launch.free_port()), WORLD_SIZE='',
            RANK='', LOCAL_RANK='').items():
        monkeypatch.setenv(key, value)  # restored after the test
    dist_utils._init_dist_slurm('nccl')
    try:
        assert torch.distributed.get_backend() == 'gloo'
        assert torch.distributed.get_world_size() == 1
    finally:
        torch.distributed.destroy_process_group()
