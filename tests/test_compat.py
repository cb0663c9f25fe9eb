"""ifkd.compat: each fix is needed (upstream still breaks without it) and
works (with it)."""
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

import ifkd  # noqa: F401  (applies the fixes)


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', code],
                          capture_output=True, text=True)


def test_mmrazor_models_import_fails_without_fix():
    proc = _run('import mmrazor.models')
    assert proc.returncode != 0
    assert 'ImportError' in proc.stderr or 'AttributeError' in proc.stderr


def test_mmrazor_distillation_works_with_fix():
    from mmrazor.models.distillers import ConfigurableDistiller
    from mmrazor.models.losses import ATLoss
    from torch import nn

    class Net(nn.Module):

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 1)

        def forward(self, x):
            return self.conv(x)

    student, teacher = Net(), Net()
    distiller = ConfigurableDistiller(
        student_recorders=dict(f=dict(type='ModuleOutputs', source='conv')),
        teacher_recorders=dict(f=dict(type='ModuleOutputs', source='conv')),
        distill_losses=dict(loss_at=dict(type='ATLoss', loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_at=dict(
                s_feature=dict(recorder='f', from_student=True),
                t_feature=dict(recorder='f', from_student=False))))
    distiller.prepare_from_student(student)
    distiller.prepare_from_teacher(teacher)
    x = torch.randn(2, 1, 4, 4)
    with distiller.student_recorders:
        s = student(x)
    with distiller.teacher_recorders:
        t = teacher(x)
    loss = distiller.compute_distill_losses()['loss_at']
    expected = ATLoss(loss_weight=1.0)(s, t)
    assert torch.allclose(loss, expected)
    # attention transfer: mean over batch of ||a_s - a_t||^2 with
    # a = normalize(mean_c(f^2)) flattened.
    a_s = torch.nn.functional.normalize(s.pow(2).mean(1).flatten(1))
    a_t = torch.nn.functional.normalize(t.pow(2).mean(1).flatten(1))
    assert torch.allclose(loss, (a_s - a_t).pow(2).mean())
    loss.backward()
    assert student.conv.weight.grad is not None


def test_quantization_reports_unsupported():
    from mmrazor.structures.quantization import BackendConfigs

    from ifkd.compat.mmrazor_quant import QuantizationUnsupportedError
    with pytest.raises(QuantizationUnsupportedError, match='distillation'):
        BackendConfigs['native']


def _mmengine_checkpoint(path):
    from mmengine.logging import MessageHub
    hub = MessageHub('ckpt-test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/loss', np.float64(0.25))
    hub.update_info('iter', 3)
    ckpt = dict(
        meta=dict(epoch=1, iter=3, seed=np.int64(7)),
        state_dict=dict(w=torch.ones(2)),
        message_hub=hub.state_dict())
    torch.save(ckpt, path)


def test_mmengine_checkpoint_needs_allow_list(tmp_path):
    path = tmp_path / 'ckpt.pth'
    _mmengine_checkpoint(path)
    code = ('import torch; import mmengine.logging; '
            f'torch.load({str(path)!r})')
    proc = _run(code)
    assert proc.returncode != 0 and 'weights_only' in proc.stderr


def test_mmengine_checkpoint_loads_with_fix(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    path = tmp_path / 'ckpt.pth'
    _mmengine_checkpoint(path)
    ckpt = _load_checkpoint(str(path), map_location='cpu')
    hub_state = ckpt['message_hub']
    buf = hub_state['log_scalars']['train/loss']
    assert buf.mean() == pytest.approx(0.375)
    assert hub_state['runtime_info']['iter'] == 3
    assert int(ckpt['meta']['seed']) == 7


def test_arbitrary_pickled_object_is_still_refused(tmp_path):
    marker = tmp_path / 'pwned'

    class Evil:

        def __reduce__(self):
            return (os.system, (f'touch {marker}', ))

    path = tmp_path / 'evil.pth'
    with open(path, 'wb') as f:
        pickle.dump(dict(state_dict={}, payload=Evil()), f)
    # torch.save's zip format too
    path2 = tmp_path / 'evil2.pth'
    torch.save(dict(state_dict={}, payload=Evil()), path2)
    from mmengine.runner.checkpoint import _load_checkpoint
    for p in (path, path2):
        with pytest.raises(pickle.UnpicklingError):
            torch.load(p)
        with pytest.raises(pickle.UnpicklingError):
            _load_checkpoint(str(p), map_location='cpu')
    assert not marker.exists()


def test_getattr_allowed_only_for_history_buffer_methods(tmp_path):
    from mmengine.logging import HistoryBuffer

    class GetattrPayload:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    path = tmp_path / 'getattr.pth'
    torch.save(dict(payload=GetattrPayload()), path)
    with pytest.raises(pickle.UnpicklingError, match='not allowed'):
        torch.load(path)
    ok = tmp_path / 'ok.pth'
    torch.save(dict(m=HistoryBuffer.mean), ok)
    assert torch.load(ok)['m'] is HistoryBuffer.mean


def test_config_text_formatted_once_and_unchanged(monkeypatch):
    import mmengine.config.config as config_module
    from mmengine.config import Config
    from yapf.yapflib.yapf_api import FormatCode

    from ifkd.compat.config_format import memoize_format_code
    assert config_module.FormatCode.__wrapped__ is FormatCode
    calls = []

    def counting(source, *args, **kwargs):
        calls.append(source)
        return FormatCode(source, *args, **kwargs)

    monkeypatch.setattr(config_module, 'FormatCode',
                        memoize_format_code(counting))
    content = dict(model=dict(type='X', layers=[1, 2, 3], name='a' * 90))
    text = Config(content).pretty_text
    assert Config(content).pretty_text == text
    assert len(calls) == 1  # the second config was served from the memo
    changed = Config(dict(model=dict(content['model'], layers=[1, 2])))
    assert changed.pretty_text != text and len(calls) == 2
    # the memo returns exactly what yapf itself gives
    monkeypatch.setattr(config_module, 'FormatCode', FormatCode)
    assert Config(content).pretty_text == text
    assert 'layers=[\n        1,\n' in text  # yapf's layout, not the raw one
