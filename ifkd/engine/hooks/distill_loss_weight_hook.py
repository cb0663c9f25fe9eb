"""Piecewise-constant schedule of distillation loss weights, by epoch."""
from typing import Dict

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ifkd.registry import HOOKS


@HOOKS.register_module()
class DistillLossWeightHook(Hook):
    """Set ``loss_weight`` of the distiller's losses at the start of each
    epoch, e.g. the seed's alpha, 0.8 for ten epochs and 0.5 after::

        custom_hooks = [dict(type='ifkd.DistillLossWeightHook',
                             schedule=dict(loss_nce={0: 0.8, 10: 0.5}))]

    Args:
        schedule (dict): Loss name (a key of the distiller's
            ``distill_losses``) -> ``{first epoch: weight}``; the weight of
            the largest first epoch <= the current epoch applies.
    """

    def __init__(self, schedule: Dict[str, Dict[int, float]]) -> None:
        for name, steps in schedule.items():
            if 0 not in {int(k) for k in steps}:
                raise ValueError(
                    f'DistillLossWeightHook: the schedule of {name!r} needs '
                    f'a weight for epoch 0, got {dict(steps)}.')
        self.schedule = {
            name: sorted((int(k), float(v)) for k, v in steps.items())
            for name, steps in schedule.items()
        }

    def weight(self, name: str, epoch: int) -> float:
        """The weight of ``name`` in ``epoch`` (0-based)."""
        return [w for first, w in self.schedule[name] if first <= epoch][-1]

    def before_train_epoch(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        losses = model.distiller.distill_losses
        for name in self.schedule:
            if name not in losses:
                raise KeyError(
                    f'DistillLossWeightHook: no distill loss {name!r} '
                    f'(the distiller has {sorted(losses)}).')
            losses[name].loss_weight = self.weight(name, runner.epoch)
