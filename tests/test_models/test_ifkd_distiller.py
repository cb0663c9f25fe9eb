"""IFKDDistiller's record specs (chains, side inputs, shared nodes), its
checks and warm-up, and gradient isolation inside DetectionDistill."""
import pytest
import torch
from mmengine.logging import MessageHub
from torch import nn

from ifkd.models.distillers import DistillContext, IFKDDistiller
from ifkd.registry import MODELS


@MODELS.register_module(force=True)
class _Scale(nn.Module):
    """Test connector: feature * factor (+ bias side input), counting calls."""

    def __init__(self, factor=2.0):
        super().__init__()
        self.factor = factor
        self.calls = 0

    def forward(self, feature, bias=None):
        self.calls += 1
        return feature * self.factor + (0 if bias is None else bias)


@MODELS.register_module(force=True)
class _Diff(nn.Module):
    """Test node: |a - b| per location, counting calls."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, a, b, context=None):
        self.calls += 1
        self.seen_context = context
        return (a - b).abs().sum(1, keepdim=True)


@MODELS.register_module(force=True)
class _WeightedSum(nn.Module):

    def forward(self, preds_S, preds_T, mask=None):
        m = 1 if mask is None else mask
        return ((preds_S - preds_T) * m).sum()


@MODELS.register_module(force=True)
class _PairDiffs(nn.Module):
    """Test node over lists: [|a_i - b_i|] for all levels in one call."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, a, b):
        self.calls += 1
        return [(x - y).abs() for x, y in zip(a, b)]


class _Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 1, bias=False)

    def forward(self, x):
        return self.conv(x)


def _build(**kwargs):
    s_spec = dict(recorder='f', from_student=True, connector='s2')
    t_spec = dict(
        recorder='f',
        from_student=False,
        connector=['t2', 't3'],
        connector_kwargs=dict(bias=dict(recorder='f', from_student=True)))
    mask = dict(connector='diff', inputs=dict(a=s_spec, b=t_spec))
    distiller = IFKDDistiller(
        student_recorders=dict(f=dict(type='ModuleOutputs', source='conv')),
        teacher_recorders=dict(f=dict(type='ModuleOutputs', source='conv')),
        connectors=dict(
            s2=dict(type='ifkd._Scale', factor=2.0),
            t2=dict(type='ifkd._Scale', factor=2.0),
            t3=dict(type='ifkd._Scale', factor=3.0),
            diff=dict(type='ifkd._Diff')),
        distill_losses=dict(
            loss_a=dict(type='ifkd._WeightedSum'),
            loss_b=dict(type='ifkd._WeightedSum')),
        loss_forward_mappings=dict(
            loss_a=dict(preds_S=s_spec, preds_T=t_spec, mask=mask),
            loss_b=dict(preds_S=s_spec, preds_T=t_spec, mask=mask)),
        **kwargs)
    student, teacher = _Net(), _Net()
    nn.init.constant_(student.conv.weight, 1.0)
    nn.init.constant_(teacher.conv.weight, 0.5)
    distiller.prepare_from_student(student)
    distiller.prepare_from_teacher(teacher)
    return distiller, student, teacher


def _step(distiller, student, teacher, x):
    with distiller.teacher_recorders:
        teacher(x)
    with distiller.student_recorders:
        student(x)
    ctx = DistillContext(x)
    distiller.set_context(ctx)
    return distiller.compute_distill_losses(), ctx


def test_chains_side_inputs_and_shared_nodes_by_hand():
    distiller, student, teacher = _build()
    x = torch.tensor([[[[1.0, -2.0]]]])
    losses, ctx = _step(distiller, student, teacher, x)
    s = 2 * x  # s2(student = x)
    t = (2 * (0.5 * x) + x) * 3 + x  # t3(t2(teacher, bias), bias)
    mask = (s - t).abs()
    expected = ((s - t) * mask).sum()
    assert torch.allclose(losses['loss_a'], expected)
    assert torch.allclose(losses['loss_b'], expected)
    # each distinct spec is evaluated once per step, shared by both losses
    c = distiller.connectors
    assert (c['s2'].calls, c['t2'].calls, c['t3'].calls,
            c['diff'].calls) == (1, 1, 1, 1)
    assert c['diff'].seen_context is ctx
    # a new step recomputes
    _step(distiller, student, teacher, x)
    assert c['diff'].calls == 2


def test_warmup_scales_losses_linearly():
    distiller, student, teacher = _build(warmup_iters=4)
    x = torch.tensor([[[[1.0, -2.0]]]])
    hub = MessageHub.get_current_instance()
    full = None
    for it, frac in ((0, 0.25), (1, 0.5), (3, 1.0), (10, 1.0)):
        hub.update_info('iter', it)
        losses, _ = _step(distiller, student, teacher, x)
        if full is None:
            full = losses['loss_a'] / frac
        assert torch.allclose(losses['loss_a'], full * frac)
    hub.update_info('iter', 0)


def test_list_inputs_and_indexed_shared_node():
    levels = 3
    feats = [
        dict(recorder='f', from_student=True, connector=f's{i}')
        for i in range(levels)
    ]
    target = dict(recorder='f', from_student=False)
    node = dict(
        connector='pairs',
        inputs=dict(a=feats, b=[target] * levels))
    distiller = IFKDDistiller(
        student_recorders=dict(f=dict(type='ModuleOutputs', source='conv')),
        teacher_recorders=dict(f=dict(type='ModuleOutputs', source='conv')),
        connectors=dict(
            pairs=dict(type='ifkd._PairDiffs'),
            **{
                f's{i}': dict(type='ifkd._Scale', factor=float(i + 1))
                for i in range(levels)
            }),
        distill_losses={
            f'loss{i}': dict(type='ifkd._WeightedSum')
            for i in range(levels)
        },
        loss_forward_mappings={
            f'loss{i}': dict(
                preds_S=feats[i],
                preds_T=target,
                mask=dict(node, connector_idx=i))
            for i in range(levels)
        })
    student, teacher = _Net(), _Net()
    nn.init.constant_(student.conv.weight, 1.0)
    nn.init.constant_(teacher.conv.weight, 0.5)
    distiller.prepare_from_student(student)
    distiller.prepare_from_teacher(teacher)
    x = torch.tensor([[[[1.0, -2.0]]]])
    losses, _ = _step(distiller, student, teacher, x)
    for i in range(levels):
        s, t = (i + 1) * x, 0.5 * x
        expected = ((s - t) * (s - t).abs()).sum()
        assert torch.allclose(losses[f'loss{i}'], expected), i
    # one call of the node serves every index
    assert distiller.connectors['pairs'].calls == 1


def test_bad_list_input_fails_at_build():
    with pytest.raises(TypeError, match='non-empty list'):
        IFKDDistiller(
            student_recorders=dict(
                f=dict(type='ModuleOutputs', source='conv')),
            connectors=dict(diff=dict(type='ifkd._Diff')),
            distill_losses=dict(loss_a=dict(type='ifkd._WeightedSum')),
            loss_forward_mappings=dict(
                loss_a=dict(
                    preds_S=dict(recorder='f', from_student=True),
                    mask=dict(connector='diff', inputs=dict(a=[], b=[])))))


@pytest.mark.parametrize('bad, match', [
    (dict(recorder='nope', from_student=True), 'not in student_recorders'),
    (dict(recorder='f', from_student=True, connector='nope'),
     "connector 'nope' is not defined"),
    (dict(recorder='f', from_student='yes'), 'must be a bool'),
    (dict(connector='diff'), 'needs `recorder`'),
])
def test_bad_specs_fail_at_build(bad, match):
    with pytest.raises((KeyError, TypeError), match=match):
        IFKDDistiller(
            student_recorders=dict(
                f=dict(type='ModuleOutputs', source='conv')),
            connectors=dict(diff=dict(type='ifkd._Diff')),
            distill_losses=dict(loss_a=dict(type='ifkd._WeightedSum')),
            loss_forward_mappings=dict(
                loss_a=dict(preds_S=bad, preds_T=bad)))


def test_unknown_loss_argument_fails_at_build():
    with pytest.raises(KeyError, match="no argument 'feat'"):
        IFKDDistiller(
            student_recorders=dict(
                f=dict(type='ModuleOutputs', source='conv')),
            distill_losses=dict(loss_a=dict(type='ifkd._WeightedSum')),
            loss_forward_mappings=dict(
                loss_a=dict(feat=dict(recorder='f', from_student=True))))


def test_missing_sam_checkpoint_with_ede(tmp_path):
    with pytest.raises(FileNotFoundError, match='sam_checkpoint'):
        IFKDDistiller(
            sam_checkpoint=str(tmp_path / 'missing.pt'),
            connectors=dict(ede=dict(type='ifkd.EDEConnector')))


@MODELS.register_module(force=True)
class _Boom(nn.Module):
    """Test connector that fails."""

    def forward(self, feature):
        raise RuntimeError('boom')


@MODELS.register_module(force=True)
class _Monitored(_Scale):
    """Test connector with monitoring scalars."""

    def log_vars(self):
        return dict(calls=torch.tensor(float(self.calls)))


def test_context_cleared_even_when_a_connector_fails():
    distiller = IFKDDistiller(
        student_recorders=dict(f=dict(type='ModuleOutputs', source='conv')),
        connectors=dict(boom=dict(type='ifkd._Boom')),
        distill_losses=dict(loss_a=dict(type='ifkd._WeightedSum')),
        loss_forward_mappings=dict(loss_a=dict(
            preds_S=dict(recorder='f', from_student=True, connector='boom'),
            preds_T=dict(recorder='f', from_student=True))))
    student = _Net()
    distiller.prepare_from_student(student)
    with distiller.student_recorders:
        student(torch.ones(1, 1, 1, 2))
    distiller.set_context(DistillContext(torch.ones(1, 1, 1, 2)))
    with pytest.raises(RuntimeError, match='boom'):
        distiller.compute_distill_losses()
    assert distiller.context is None and distiller._memo == {}


def test_signatures_inspected_once_and_log_vars_not_summed(monkeypatch):
    import inspect
    distiller, student, teacher = _build()
    distiller.connectors['s2'] = MODELS.build(dict(type='ifkd._Monitored'))
    calls = []
    real = inspect.signature
    monkeypatch.setattr(inspect, 'signature',
                        lambda f: calls.append(f) or real(f))
    x = torch.tensor([[[[1.0, -2.0]]]])
    for _ in range(3):
        losses, _ = _step(distiller, student, teacher, x)
    # four connectors, one inspection each, however many steps and calls
    assert len(calls) == 4
    assert torch.equal(losses['s2.calls'], torch.tensor(3.))
    # logged but not optimised: mmengine sums only keys holding 'loss'
    total, log_vars = student_parse(losses)
    assert torch.allclose(total, losses['loss_a'] + losses['loss_b'])
    assert 's2.calls' in log_vars


def student_parse(losses):
    from mmengine.model import BaseModel
    return BaseModel.parse_losses(None, losses)
