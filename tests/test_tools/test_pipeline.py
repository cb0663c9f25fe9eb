"""The synthetic pipeline's guard against diverged runs."""
import math
import os

import pytest

from ifkd.engine import pipeline as pl
from tests.conftest import TINY_SIZE


def test_diverged_training_fails_loudly(synthetic_root, tmp_path):
    budget = pl.SyntheticBudget(num_train=4, num_test=2, img_size=TINY_SIZE,
                                scene_size=TINY_SIZE, epochs=1, batch_size=2)
    options = pl.stage_options(synthetic_root, budget)
    name = 'retinanet_r18_fpn_1x_synthetic-sar-aircraft'
    # a NaN loss weight stands in for a blow-up (BN keeps even absurd
    # learning rates finite over two iterations)
    with pytest.raises(RuntimeError, match=f'{name} diverged'):
        pl.train_stage(name, str(tmp_path), options, budget,
                       {'model.bbox_head.loss_bbox.loss_weight': math.nan})
    # the checkpoint is set aside, so a re-run retrains instead of testing it
    assert sorted(f for f in os.listdir(tmp_path / name)
                  if f.endswith('.pth')) == ['diverged_epoch_1.pth']
