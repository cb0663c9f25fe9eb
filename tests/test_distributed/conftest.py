"""Shared runs of the distributed tests: one tiny synthetic set, one
MobileSAM cache filled by two ranks at once, and two seeded IFKD runs
(1 process x batch 2 and 2 processes x batch 1) that several tests read."""
import os
import os.path as osp
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.test_distributed import _launch

EPOCHS = 2  # 2 iterations each (4 train images, global batch 2)


@pytest.fixture(scope='session')
def dist_root(tmp_path_factory):
    """4 train / 2 test synthetic images whose train images all carry the
    first one's boxes (different pixels, same annotations).

    RetinaNet normalises its losses by the positive anchors of the whole
    batch, which DDP does not all-reduce: 2 ranks x b equals 1 x 2b only
    when every rank's batch has as many positive anchors, which equal boxes
    on equal image sizes guarantee.
    """
    from ifkd.datasets.synthetic import generate_dataset
    root = str(tmp_path_factory.mktemp('dist-synthetic'))
    splits = generate_dataset(root, num_train=4, num_test=2,
                              img_size=_launch.IMG_SIZE, seed=0, max_objects=3)
    first, *others = splits['train']
    with open(osp.join(root, 'Annotations', f'{first}.xml')) as f:
        xml = f.read()
    for stem in others:
        with open(osp.join(root, 'Annotations', f'{stem}.xml'), 'w') as f:
            f.write(xml.replace(f'{first}.jpg', f'{stem}.jpg'))
    return root


@pytest.fixture(scope='session')
def dist_config(tmp_path_factory):
    return _launch.write_config(str(tmp_path_factory.mktemp('dist-config')))


def cache_snapshot(cache_dir: str) -> dict:
    return {n: os.stat(osp.join(cache_dir, n)).st_mtime_ns
            for n in sorted(os.listdir(cache_dir))}


@pytest.fixture(scope='session')
def filled_cache(dist_root, sam_checkpoint, tmp_path_factory):
    """Two ranks fill one MobileSAM cache at the same time (see
    ``_fill_sam_cache.py``); returns its folder, what each rank stored and
    the folder's state right after."""
    work = tmp_path_factory.mktemp('sam-fill')
    cache_dir = str(work / 'sam_cache')
    options = _launch.distill_options(dist_root, sam_checkpoint, cache_dir,
                                      batch_size=2, epochs=1)
    with open(work / 'options.py', 'w') as f:
        f.write(repr(options))
    env = _launch.dist_env()
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         '--master_addr=127.0.0.1', f'--master_port={env["PORT"]}',
         osp.join(REPO, 'tests', 'test_distributed', '_fill_sam_cache.py'),
         _launch.IFKD, str(work / 'options.py'), str(work)],
        cwd=REPO, env=env, capture_output=True, text=True,
        timeout=_launch.TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-6000:]
    import numpy as np
    stored = []
    for rank in range(2):
        with np.load(work / f'rank{rank}.npz') as npz:
            stored.append({k: npz[k] for k in npz.files})
    return dict(dir=cache_dir, stored=stored,
                snapshot=cache_snapshot(cache_dir))


def _train(config, root, sam, cache, work_dir, nproc, batch_size,
           **env) -> str:
    options = _launch.distill_options(root, sam, cache, batch_size, EPOCHS)
    _launch.launch('dist_train.sh',
                   [config, str(nproc), *_launch.train_args(work_dir,
                                                            options)],
                   _launch.dist_env(**env))
    return work_dir


@pytest.fixture(scope='session')
def single_run(dist_config, dist_root, sam_checkpoint, filled_cache,
               tmp_path_factory):
    """1 process x batch 2, through tools/dist_train.sh."""
    work = str(tmp_path_factory.mktemp('single') / 'work')
    return _train(dist_config, dist_root, sam_checkpoint,
                  filled_cache['dir'], work, nproc=1, batch_size=2)


@pytest.fixture(scope='session')
def ddp_run(dist_config, dist_root, sam_checkpoint, filled_cache,
            tmp_path_factory):
    """2 processes x batch 1 on one node, through tools/dist_train.sh."""
    work = str(tmp_path_factory.mktemp('ddp') / 'work')
    return _train(dist_config, dist_root, sam_checkpoint,
                  filled_cache['dir'], work, nproc=2, batch_size=1)
