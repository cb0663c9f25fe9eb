"""Multi-node launches: two loopback "nodes" of one process each train as
one node of two processes; tools/slurm_train.sh starts the srun command
and environment it documents (checked against a stub srun)."""
import os
import os.path as osp
import stat
import subprocess
import sys

from tests.conftest import REPO
from tests.test_distributed import _launch
from tests.test_distributed._compare import trained_state
from tests.test_distributed.conftest import EPOCHS


def test_two_nodes_train_as_one_node(dist_config, dist_root, sam_checkpoint,
                                     filled_cache, ddp_run, tmp_path):
    work = str(tmp_path / 'work')  # one folder, as on a shared filesystem
    options = _launch.distill_options(dist_root, sam_checkpoint,
                                      filled_cache['dir'], 1, EPOCHS)
    env = _launch.dist_env(NNODES='2')
    args = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), dist_config,
            '1', *_launch.train_args(work, options)]
    nodes = [
        subprocess.Popen(args, cwd=REPO, env=dict(env, NODE_RANK=str(node)),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True) for node in range(2)
    ]
    for node in nodes:
        _, err = node.communicate(timeout=_launch.TIMEOUT)
        assert node.returncode == 0, err[-6000:]
    # node 1's process is global rank 1: it logged the other half
    for rank in range(2):
        assert _launch.rank_losses(work, rank) == _launch.rank_losses(
            ddp_run, rank)
    last = f'epoch_{EPOCHS}.pth'
    two_nodes, one_node = trained_state(work, last), trained_state(
        ddp_run, last)
    for k in one_node:  # same ranks, same gloo all-reduce: bit-identical
        assert (two_nodes[k] == one_node[k]).all(), k


def _stub_srun(folder: str) -> str:
    """An ``srun`` that records its arguments and environment."""
    path = osp.join(folder, 'srun')
    with open(path, 'w') as f:
        f.write('#!/usr/bin/env bash\n'
                f'printf "%s\\n" "$@" > {folder}/argv\n'
                f'env > {folder}/env\n')
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


def test_slurm_train_launches_srun(tmp_path):
    stub = str(tmp_path)
    _stub_srun(stub)
    env = dict(os.environ, PATH=f'{stub}:{os.environ["PATH"]}', GPUS='16',
               GPUS_PER_NODE='8', CPUS_PER_TASK='4', PYTHON=sys.executable,
               SRUN_ARGS='--exclusive --qos=high')
    env.pop('PYTHONPATH', None)
    subprocess.run(['bash', 'tools/slurm_train.sh', 'gpu', 'ifkd-job',
                    'configs/x.py', 'work_dirs/x', '--cfg-options',
                    'train_cfg.max_epochs=2', 'a b=c'],
                   cwd=REPO, env=env, check=True, capture_output=True)
    with open(osp.join(stub, 'argv')) as f:
        argv = f.read().splitlines()
    assert argv == [
        '-p', 'gpu', '--job-name=ifkd-job', '--gres=gpu:8', '--ntasks=16',
        '--ntasks-per-node=8', '--cpus-per-task=4', '--kill-on-bad-exit=1',
        '--exclusive', '--qos=high', sys.executable, '-u', 'tools/train.py',
        'configs/x.py', '--work-dir=work_dirs/x', '--launcher=slurm',
        '--cfg-options', 'train_cfg.max_epochs=2', 'a b=c'
    ]
    with open(osp.join(stub, 'env')) as f:
        environ = dict(line.split('=', 1) for line in f.read().splitlines()
                       if '=' in line)
    # the repository is importable by the tasks (srun keeps the cwd)
    assert environ['PYTHONPATH'].split(':')[0] == 'tools/..'


def test_slurm_train_on_cpu_nodes_requests_no_gpu(tmp_path):
    stub = str(tmp_path)
    _stub_srun(stub)
    env = dict(os.environ, PATH=f'{stub}:{os.environ["PATH"]}', GPUS='4',
               GPUS_PER_NODE='0', TASKS_PER_NODE='2')
    subprocess.run(['bash', 'tools/slurm_train.sh', 'cpu', 'j', 'c.py', 'w'],
                   cwd=REPO, env=env, check=True, capture_output=True)
    with open(osp.join(stub, 'argv')) as f:
        argv = f.read().splitlines()
    assert not [a for a in argv if a.startswith('--gres')]
    assert argv[:5] == ['-p', 'cpu', '--job-name=j', '--ntasks=4',
                        '--ntasks-per-node=2']
