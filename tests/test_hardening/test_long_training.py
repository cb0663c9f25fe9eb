"""A from-scratch detector trains stably past the point where it diverged
without gradient clipping (~iteration 330, once warm-up reached lr 0.01)."""
import math

import numpy as np
import pytest
import torch

from ifkd.datasets.synthetic import generate_dataset
from ifkd.engine.launch import train
from tests.conftest import config_path, tiny_options

CONFIG = 'retinanet/retinanet_mbv2_fpn_1x_synthetic-sar-aircraft.py'
ITERS = 360
SIZE = 64


@pytest.fixture(scope='module')
def long_run(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('tiny-set'))
    generate_dataset(root, num_train=4, num_test=2, img_size=SIZE, seed=0,
                     scene_size=256, max_objects=3)
    opts = tiny_options(root, epochs=ITERS // 2)
    opts.update({
        'randomness.seed': 0,
        'train_dataloader.dataset.pipeline.2.scale': (SIZE, SIZE),
        # warm-up of the synthetic schedule (50 iterations), then lr 0.01
        # to the end: no step may hide a divergence
        'param_scheduler.0.end': 50,
        'param_scheduler.1.milestones': [10**6],
        'val_cfg': None, 'val_dataloader': None, 'val_evaluator': None,
        'default_hooks.checkpoint.interval': 10**6,
        'default_hooks.logger.interval': 20,
    })
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny maps: more threads only add overhead
    try:
        runner = train(config_path(CONFIG),
                       work_dir=str(tmp_path_factory.mktemp('long')),
                       cfg_options=opts)
    finally:
        torch.set_num_threads(threads)
    hub = runner.message_hub
    return dict(runner=runner, loss=hub.get_scalar('train/loss').data[0],
                lr=hub.get_scalar('train/lr').data[0])


def test_loss_finite_and_decreasing_past_divergence_point(long_run):
    loss, lr = long_run['loss'], long_run['lr']
    assert long_run['runner'].iter == ITERS and len(loss) == ITERS
    assert long_run['runner'].cfg.optim_wrapper.clip_grad.max_norm == 35
    assert np.isfinite(loss).all(), np.flatnonzero(~np.isfinite(loss))[:5]
    assert lr[-1] == pytest.approx(0.01) and (lr[50:] == lr[-1]).all()
    first, last = loss[:40].mean(), loss[-40:].mean()
    assert last < 0.7 * first, (first, last)
    # still going down over the iterations at full lr
    assert loss[-40:].mean() < loss[-160:-120].mean()
    assert not any(math.isnan(x) for x in loss)
