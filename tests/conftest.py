import os
import os.path as osp

import pytest

# On mmcv-lite, ifkd provides mmcv._ext: import it before any test module
# imports mmdet / mmcv.ops, as custom_imports does for the tools.
import ifkd  # noqa: F401,E402
from mmengine.registry import DefaultScope  # noqa: E402

_SESSION_SCOPES = frozenset(DefaultScope._instance_dict)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SAMPLE = osp.join(osp.dirname(REPO), 'shared', 'data',
                  'sar-aircraft-1.0-sample')
TINY_SIZE = 128


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory):
    """A tiny synthetic SAR-aircraft set (SAR-AIRcraft-1.0 layout)."""
    from ifkd.datasets.synthetic import generate_dataset
    root = str(tmp_path_factory.mktemp('synthetic-sar-aircraft'))
    generate_dataset(root, num_train=4, num_test=2, img_size=TINY_SIZE,
                     seed=0, max_objects=3)
    return root


def tiny_options(data_root: str, epochs: int = 1) -> dict:
    """cfg-options that run a synthetic config for a few CPU iterations."""
    root = data_root.rstrip('/') + '/'
    opts = {
        'train_cfg.max_epochs': epochs,
        'train_cfg.val_interval': 100,
        'train_dataloader.batch_size': 2,
        'val_dataloader.batch_size': 2,
        'test_dataloader.batch_size': 2,
        'default_hooks.logger.interval': 1,
        'default_hooks.checkpoint.max_keep_ckpts': -1,
        'param_scheduler.0.end': 2,
    }
    for loader in ('train', 'val', 'test'):
        opts[f'{loader}_dataloader.dataset.data_root'] = root
    for key in ('val_evaluator', 'test_evaluator'):
        opts[f'{key}.data_root'] = root
    for loader, idx in (('train', 2), ('val', 1), ('test', 1)):
        opts[f'{loader}_dataloader.dataset.pipeline.{idx}.scale'] = (
            TINY_SIZE, TINY_SIZE)
    return opts


def config_path(rel: str) -> str:
    return osp.join(REPO, 'configs', rel)


@pytest.fixture(autouse=True)
def _isolate_default_scope():
    """A runner or init_default_scope() (in a test or a shared fixture) makes
    its scope the current one for every later test, and unprefixed types
    then resolve in the wrong registry: after each test, drop every scope
    created since the session started."""
    yield
    from mmengine.registry import DefaultScope
    for name in list(DefaultScope._instance_dict):
        if name not in _SESSION_SCOPES:
            del DefaultScope._instance_dict[name]


@pytest.fixture(autouse=True)
def _chdir_repo(monkeypatch):
    # configs and tools use repo-relative paths, as users run them
    monkeypatch.chdir(REPO)
    os.environ.setdefault('OMP_NUM_THREADS', '2')


@pytest.fixture(scope='session')
def sam_checkpoint(tmp_path_factory):
    """A real MobileSAM vit_t checkpoint file, built from scratch with a
    fixed seed (weights cannot be downloaded here) and loaded through the
    same path a user's config uses."""
    import torch
    from mobile_sam import sam_model_registry
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp('sam') / 'mobile_sam.pt'
    torch.save(sam_model_registry['vit_t']().state_dict(), path)
    return str(path)
