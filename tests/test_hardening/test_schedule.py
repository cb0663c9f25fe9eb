"""The synthetic pipeline's schedule: the LR steps at the moved milestones
in runs longer than the 1x schedule's 12 epochs."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import PARAM_SCHEDULERS

from ifkd.engine.launch import load_config
from ifkd.engine.pipeline import SyntheticBudget, stage_options
from tests.conftest import config_path

CONFIG = 'retinanet/retinanet_mbv2_fpn_1x_synthetic-sar-aircraft.py'


def _lr_per_epoch(options: dict, budget: SyntheticBudget) -> list:
    """The LR each epoch trains at, stepping the configured schedulers as
    mmengine's ParamSchedulerHook does (per iteration / per epoch)."""
    cfg = load_config(config_path(CONFIG), cfg_options=options)
    lr = cfg.optim_wrapper.optimizer.lr
    param = torch.nn.Parameter(torch.zeros(1))
    wrapper = OptimWrapper(torch.optim.SGD([param], lr=lr))
    schedulers = [
        PARAM_SCHEDULERS.build(dict(copy.deepcopy(s), optimizer=wrapper))
        for s in cfg.param_scheduler
    ]
    iters_per_epoch = budget.iters // budget.epochs
    lrs = []
    for _ in range(budget.epochs):
        lrs.append(wrapper.get_lr()['lr'][0])
        for _ in range(iters_per_epoch):
            wrapper.optimizer.step()  # no gradient: the parameter stays
            for s in schedulers:
                if not s.by_epoch:
                    s.step()
        for s in schedulers:
            if s.by_epoch:
                s.step()
    return lrs


@pytest.mark.parametrize('epochs', [24, 36])
def test_lr_decays_at_moved_milestones(epochs, tmp_path):
    budget = SyntheticBudget(num_train=192, num_test=48, epochs=epochs)
    options = stage_options(str(tmp_path), budget)
    first, second = options['param_scheduler.1.milestones']
    assert (first, second) == (epochs * 2 // 3, epochs * 11 // 12)
    lrs = _lr_per_epoch(options, budget)
    # after the warm-up (a fifth of the run): 0.01, then x0.1 at each step
    expected = [0.01 * 0.1**((e >= first) + (e >= second))
                for e in range(epochs)]
    warm = -(-budget.iters // 5) // (budget.iters // epochs)
    assert lrs[warm + 1:] == pytest.approx(expected[warm + 1:], rel=1e-6)
    assert lrs[-1] == pytest.approx(1e-4)
    # without the schedule's end moved, the steps never happen
    options.pop('param_scheduler.1.end')
    stale = _lr_per_epoch(options, budget)
    assert stale[-1] == pytest.approx(0.01)


def test_default_budget_schedule_unchanged(tmp_path):
    """The 12-epoch demo keeps the 1x schedule's steps at 8 and 11."""
    budget = SyntheticBudget()
    options = stage_options(str(tmp_path), budget)
    assert options['param_scheduler.1.milestones'] == [8, 11]
    assert options['param_scheduler.1.end'] == 12
    lrs = _lr_per_epoch(options, budget)
    assert lrs[8:] == pytest.approx([1e-3] * 3 + [1e-4])
