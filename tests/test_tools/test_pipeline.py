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


def test_seeded_stages_reproduce_their_weights(synthetic_root, tmp_path):
    import torch
    budget = pl.SyntheticBudget(num_train=4, num_test=2, img_size=TINY_SIZE,
                                scene_size=TINY_SIZE, epochs=1, batch_size=2,
                                seed=3)
    assert pl.stage_options(synthetic_root, budget)['randomness.seed'] == 3
    name = 'retinanet_r18_fpn_1x_synthetic-sar-aircraft'
    states = []
    for run, seed in (('a', 3), ('b', 3), ('c', None)):
        budget.seed = seed
        options = pl.stage_options(synthetic_root, budget)
        pl.train_stage(name, str(tmp_path / run), options, budget)
        states.append(
            torch.load(tmp_path / run / name / 'epoch_1.pth')['state_dict'])
    # initialisation, sampling, flips and the two steps: all reproduced
    for key, value in states[0].items():
        assert torch.equal(value, states[1][key]), key
    # unseeded, the initialisation differs
    assert not torch.equal(states[0]['bbox_head.retina_cls.weight'],
                           states[2]['bbox_head.retina_cls.weight'])


def test_work_dir_of_another_budget_is_refused(tmp_path):
    budget = pl.SyntheticBudget()
    pl.save_budget(str(tmp_path), budget)
    pl.save_budget(str(tmp_path), pl.SyntheticBudget())  # same: fine
    with pytest.raises(RuntimeError, match=r'another budget \(epochs 12 -> '
                       r'3, seed 0 -> None\).*move'):
        pl.save_budget(str(tmp_path), pl.SyntheticBudget(epochs=3,
                                                         seed=None))


def test_teachers_train_longer_when_asked(tmp_path):
    budget = pl.SyntheticBudget(num_train=10, batch_size=4, epochs=3,
                                teacher_epochs=5)
    teacher = 'faster-rcnn_r50_fpn_1x_synthetic-sar-aircraft'
    student = 'faster-rcnn_mbv2_fpn_1x_synthetic-sar-aircraft'
    distill = 'ifkd_faster-rcnn_r50-mbv2_fpn_1x_synthetic-sar-aircraft'
    # ceil(10 / 4) = 3 iterations per epoch
    assert pl.stage_budget(teacher, budget).iters == 15
    assert pl.stage_budget(student, budget).iters == 9
    # the r50 in a distillation name is its teacher, not the trained model
    assert pl.stage_budget(distill, budget).iters == 9
    opts = pl.stage_options('d', pl.stage_budget(teacher, budget))
    assert opts['train_cfg.max_epochs'] == 5
    assert opts['param_scheduler.1.milestones'] == [3, 4]
    assert opts['param_scheduler.0.end'] == 3
    # the student is distilled from the teacher's last checkpoint
    extra = pl.distill_extra(distill, str(tmp_path), budget, 'sam.pt')
    assert extra['model.teacher_ckpt'] == str(tmp_path / teacher /
                                              'epoch_5.pth')
    assert extra['model.distiller.warmup_iters'] == 1
    assert 'teachers 5 epochs (15 iterations)' in budget.describe()
    assert 'teachers' not in pl.SyntheticBudget().describe()
