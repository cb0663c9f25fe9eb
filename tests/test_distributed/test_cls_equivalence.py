"""The classification distillation (logit KD, ResNet-50 -> ResNet-18, on
the synthetic SAR ship chips) under DDP on CPU: 2 processes x batch 2
through tools/dist_train.sh train as 1 process x batch 4 (parameters and
logged losses; tolerances in ``_compare``)."""
import os.path as osp

import pytest

from tests.conftest import config_path
from tests.test_distributed import _launch
from tests.test_distributed._compare import (LOSS_RTOL, WEIGHT_ATOL,
                                             max_abs_diff, trained_state)

KD = config_path(
    'sar_ship_cls/kd_resnet50-resnet18_1xb32_synthetic-sar-ship.py')
EPOCHS = 2  # 8 train chips at a global batch of 4: 2 iterations each


@pytest.fixture(scope='module')
def cls_runs(tmp_path_factory):
    from ifkd.datasets.synthetic_ships import generate_ship_dataset
    tmp = tmp_path_factory.mktemp('cls')
    root = str(tmp / 'data')
    generate_ship_dataset(root, num_images=14, img_size=32, seed=0,
                          test_ratio=0.2)
    # 8 train chips: both runs then see whole batches (DDP's sampler pads
    # a split that the ranks cannot share evenly)
    split = osp.join(root, 'splits', 'train.txt')
    with open(split) as f:
        lines = f.readlines()
    assert len(lines) >= 8
    with open(split, 'w') as f:
        f.writelines(lines[:8])
    config = _launch.write_config(str(tmp), KD, hooks='')
    runs = {}
    for nproc, batch in ((1, 4), (2, 2)):
        work = str(tmp / f'work{nproc}')
        options = {
            'train_dataloader.dataset.data_root': root + '/',
            'val_dataloader.dataset.data_root': root + '/',
            'test_dataloader.dataset.data_root': root + '/',
            'train_dataloader.batch_size': batch,
            # the config's class-balancing sampler draws with replacement;
            # the plain shuffled sampler splits one permutation over ranks
            'train_dataloader.sampler.type': 'DefaultSampler',
            'train_dataloader.dataset.pipeline.2.prob': '[0.0,0.0]',
            # BN frozen: a rank's batch normalises as in the whole batch
            'model.architecture.backbone.norm_eval': True,
            'model.teacher_ckpt': None,
            'train_cfg.max_epochs': EPOCHS,
            'train_cfg.val_begin': 1000,
            'param_scheduler.end': EPOCHS,
            'default_hooks.logger.interval': 1,
            'randomness.seed': 0,
        }
        _launch.launch('dist_train.sh', [
            config, str(nproc), *_launch.train_args(work, options)
        ], _launch.dist_env())
        runs[nproc] = work
    return runs


def test_kd_two_ranks_equal_one_process(cls_runs):
    one = _launch.rank_losses(cls_runs[1])
    two = _launch.mean_over_ranks(cls_runs[2])
    assert sorted(one) == sorted(two) == list(range(1, 2 * EPOCHS + 1))
    for step, row in one.items():
        keys = [k for k in row if 'loss' in k]
        assert {'student.loss', 'distill.loss_kd'} <= set(keys)
        for k in keys:
            assert two[step][k] == pytest.approx(row[k], rel=LOSS_RTOL), (
                step, k)
    last = f'epoch_{EPOCHS}.pth'
    a, b = (trained_state(cls_runs[n], last) for n in (1, 2))
    assert max_abs_diff(a, b) < WEIGHT_ATOL
    assert max_abs_diff(a, trained_state(cls_runs[1], 'epoch_1.pth')) > \
        100 * WEIGHT_ATOL
    assert osp.isfile(osp.join(cls_runs[2], 'losses_rank1.jsonl'))
