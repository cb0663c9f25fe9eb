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


class Reduce:
    """Pickles as ``fn(*args)`` (then ``__setstate__(state)``): the way a
    crafted checkpoint calls whatever globals the loader allows."""

    def __init__(self, fn, args, state=None):
        self.fn, self.args, self.state = fn, args, state

    def __reduce__(self):
        if self.state is None:
            return self.fn, self.args
        return self.fn, self.args, self.state


def _array(dtype, data: bytes, shape=(1, )):
    from numpy.core.multiarray import _reconstruct
    return Reduce(_reconstruct, (np.ndarray, (0, ), b'b'),
                  (1, shape, dtype, False, data))


def _dtype(code, state=None, copy=True):
    return Reduce(np.dtype, (code, False, copy), state)


class _NewObj(Reduce):
    """Pickles as ``cls.__new__(cls)`` (pickle's NEWOBJ), then the state."""

    def __init__(self, cls, state):
        import copyreg
        super().__init__(copyreg.__newobj__, (cls, ), state)

    @property
    def __class__(self):  # pickle checks that NEWOBJ's class is ours
        return self.args[0]


def _history_buffer(state):
    from mmengine.logging import HistoryBuffer
    return _NewObj(HistoryBuffer, state)


def _payloads() -> dict:
    """Crafted checkpoints, each refused by a safe loader."""
    from mmengine.logging import HistoryBuffer
    from numpy.core.multiarray import scalar
    hb_getattr = Reduce(getattr, (HistoryBuffer, 'max'))
    plain_state = (3, '<', None, None, None, -1, -1, 0)
    fields = dict(max_length=10, _log_history=np.zeros(1),
                  _count_history=np.ones(1))
    return {
        # a float64 dtype given an object subarray by its __setstate__: the
        # array's 8 attacker bytes are then read as a PyObject pointer
        'object_subarray_dtype': _array(
            _dtype('f8', (3, '<', (_dtype('O'), (1, )), None, None, -1, -1,
                          0)), b'\x41' * 8),
        # a structured dtype with an object field
        'object_field_dtype': _array(_dtype([('a', 'O')]), b'\x41' * 8),
        # a subarray far larger than the 8 bytes behind it
        'oversized_subarray_dtype': _array(
            _dtype('f8', (3, '<', (_dtype('f8'), (10**6, )), None, None, -1,
                          -1, 0)), b'\x00' * 8),
        'void_dtype_scalar': Reduce(scalar, (_dtype('V8'), b'\x41' * 8)),
        'array_data_size_mismatch': _array(_dtype('f8', plain_state),
                                           b'\x00' * 4),
        # 2**32 * 2**32 * 8 bytes wraps to 0 in int64
        'array_shape_overflow': _array(_dtype('f8', plain_state), b'',
                                       shape=(2**32, 2**32)),
        'ndarray_newobj': Reduce(np.ndarray.__new__,
                                 (np.ndarray, (2, ), 'O')),
        'ndarray_newobj_opcode': _NewObj(np.ndarray, None),
        # HistoryBuffer.register_statistics called at load time through
        # torch's _rebuild_from_type_v2 and getattr
        'register_statistics_via_rebuild_from_type_v2': Reduce(
            torch._tensor._rebuild_from_type_v2,
            (Reduce(getattr, (HistoryBuffer, 'register_statistics')),
             torch.Tensor, (torch._utils._rebuild_tensor, ), {})),
        'getattr_mro': Reduce(getattr, (HistoryBuffer, 'mro')),
        'getattr_dunder': Reduce(getattr, (HistoryBuffer, '__init__')),
        # HistoryBuffer.__setstate__ would merge this into the class-wide
        # table: every buffer's 'mean' would then return the max
        'statistics_table_override': _history_buffer(
            dict(fields, statistics_methods={'mean': hb_getattr})),
        'history_buffer_extra_attribute': _history_buffer(
            dict(fields, update=hb_getattr)),
        'history_buffer_bad_field_type': _history_buffer(
            dict(fields, max_length='10')),
        'bytes_allocation': Reduce(bytes, (10**10, )),
    }


def test_crafted_checkpoints_refused_without_crash(tmp_path):
    """Each payload is refused at load and the process survives; run in a
    subprocess so that a crash shows as its exit status."""
    names = sorted(_payloads())
    for name, payload in _payloads().items():
        torch.save(dict(state_dict={}, payload=payload),
                   tmp_path / f'{name}.pth')
    code = f"""
import pickle, numpy as np, torch, ifkd
from mmengine.logging import HistoryBuffer
HistoryBuffer()  # registers the default statistics
table = dict(HistoryBuffer._statistics_methods)
for name in {names!r}:
    try:
        torch.load({str(tmp_path)!r} + '/' + name + '.pth')
        print(name, 'LOADED')
    except pickle.UnpicklingError as e:
        assert 'not allowed in a checkpoint' in str(e), (name, str(e))
        print(name, 'refused')
assert HistoryBuffer._statistics_methods == table
assert np.dtype('f8').byteorder == '=' and not np.dtype('f8').hasobject
print('OK')
"""
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.split('\n')
    assert [f'{n} refused' for n in names] + ['OK'] == lines[:-1]


def _loose_allow_list() -> str:
    """The real numpy types on the allow-list (what a plain allow-list of
    "exactly those types" does)."""
    return ('import numpy as np, torch\n'
            'from numpy.core.multiarray import _reconstruct, scalar\n'
            'torch.serialization.add_safe_globals([_reconstruct, scalar, '
            'np.ndarray, np.dtype, type(np.dtype("f8"))])\n')


def test_object_dtype_payload_crashes_a_loose_allow_list(tmp_path):
    """The payload is real: with the numpy types themselves allowed it loads
    and its first use kills the process (SIGSEGV). ifkd refuses it (see
    test_crafted_checkpoints_refused_without_crash)."""
    path = tmp_path / 'obj.pth'
    torch.save(dict(payload=_payloads()['object_subarray_dtype']), path)
    loose = _run(_loose_allow_list() +
                 f'print(repr(torch.load({str(path)!r})["payload"]))')
    assert loose.returncode < 0, (loose.returncode, loose.stderr[-2000:])


def test_singleton_dtype_left_untouched(tmp_path):
    """np.dtype(code, align, copy=False) is numpy's shared singleton: its
    __setstate__ must never run on it."""
    path = tmp_path / 'swap.pth'
    swapped = (3, '>', None, None, None, -1, -1, 0)
    value = np.arange(3, dtype='>f8')
    torch.save(dict(x=_array(_dtype('f8', swapped, copy=False),
                             value.tobytes(), shape=(3, ))), path)
    x = torch.load(path)['x']
    np.testing.assert_array_equal(x, [0., 1., 2.])
    assert np.dtype('f8').byteorder == '='


def test_getattr_allowed_only_for_statistics_methods(tmp_path):
    from mmengine.logging import HistoryBuffer
    ok = tmp_path / 'ok.pth'
    torch.save(dict(m=HistoryBuffer.mean, n=HistoryBuffer.current), ok)
    loaded = torch.load(ok)
    assert loaded['m'] is HistoryBuffer.mean
    assert loaded['n'] is HistoryBuffer.current
    for name in ('register_statistics', 'mro', 'update', '__init__'):
        path = tmp_path / f'{name}.pth'
        torch.save(dict(p=Reduce(getattr, (HistoryBuffer, name))), path)
        with pytest.raises(pickle.UnpicklingError, match='not allowed'):
            torch.load(path)


def test_empty_arrays_and_history_buffers_load(tmp_path):
    """np.array([]) and an empty HistoryBuffer pickle an empty bytes()."""
    from mmengine.logging import HistoryBuffer, MessageHub
    hub = MessageHub('empty-buffer-test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/empty', 1.0)
    hub._log_scalars['train/empty'] = HistoryBuffer()
    arrays = dict(empty=np.array([]), empty_int=np.zeros((0, 3), np.int64),
                  big_endian=np.arange(4, dtype='>i4'),
                  flags=np.array([True, False]), half=np.ones(2, np.float16),
                  complex=np.array([1 + 2j]))
    path = tmp_path / 'empty.pth'
    torch.save(dict(message_hub=hub.state_dict(), arrays=arrays), path)
    assert b'bytes' in open(path, 'rb').read()  # pickled as bytes()
    loaded = torch.load(path)
    for key, array in arrays.items():
        got = loaded['arrays'][key]
        want = pickle.loads(pickle.dumps(array, protocol=2))  # numpy's own
        assert isinstance(got, np.ndarray) and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
        # saved again, it is a plain ndarray (no ifkd type in the file)
        assert type(pickle.loads(pickle.dumps(got))) is np.ndarray
    buffers = loaded['message_hub']['log_scalars']
    assert type(buffers['train/empty']) is HistoryBuffer
    assert buffers['train/empty'].data[0].size == 0
    buffers['train/empty'].update(2.0)
    assert buffers['train/empty'].mean() == 2.0
    assert buffers['train/loss'].mean() == 0.5


def test_bytes_allowed_only_empty_or_copied():
    from ifkd.compat.safe_load import safe_bytes
    assert safe_bytes() == b'' and safe_bytes(b'ab') == b'ab'
    for args in ((5, ), ([65, 66], ), ('ab', 'latin1')):
        with pytest.raises(pickle.UnpicklingError, match='bytes'):
            safe_bytes(*args)


@pytest.fixture(scope='module')
def runner_checkpoints(tmp_path_factory):
    """Checkpoints written by a real mmengine Runner (2 epochs of a tiny
    model), and the runner's model and loss history."""
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class Toy(BaseModel):

        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(2, 1)

        def forward(self, inputs, labels, mode='tensor'):
            out = self.linear(inputs)
            if mode == 'loss':
                return dict(loss=(out - labels).pow(2).mean())
            return out

    torch.manual_seed(0)
    data = [dict(inputs=torch.randn(2), labels=torch.randn(1))
            for _ in range(6)]
    work_dir = str(tmp_path_factory.mktemp('runner'))

    def make_runner(name, max_epochs, **kwargs):
        return Runner(
            model=Toy(), work_dir=work_dir, experiment_name=name,
            train_dataloader=dict(
                dataset=data, batch_size=2,
                sampler=dict(type='DefaultSampler', shuffle=False),
                collate_fn=dict(type='default_collate')),
            train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
            default_hooks=dict(
                checkpoint=dict(type='CheckpointHook', interval=1),
                logger=dict(type='LoggerHook', interval=1)),
            randomness=dict(seed=0), default_scope='mmengine', **kwargs)

    first = make_runner('safe-load-first', 2)
    first.train()
    losses = first.message_hub.get_scalar('train/loss').data[0].copy()
    return dict(work_dir=work_dir, make_runner=make_runner, model=first.model,
                losses=losses)


def _pickled_globals(path) -> set:
    """The GLOBAL names in a torch.save file's pickle."""
    import pickletools
    import zipfile
    with zipfile.ZipFile(path) as zf:
        (data, ) = [n for n in zf.namelist() if n.endswith('/data.pkl')]
        ops = pickletools.genops(zf.read(data))
        return {arg for op, arg, _ in ops if op.name == 'GLOBAL'}


def test_real_runner_checkpoint_resumes(runner_checkpoints):
    work_dir = runner_checkpoints['work_dir']
    path = f'{work_dir}/epoch_2.pth'
    # the checkpoint really carries the types the allow-list covers
    names = _pickled_globals(path)
    assert 'mmengine.logging.history_buffer HistoryBuffer' in names
    assert 'numpy.core.multiarray _reconstruct' in names
    resumed = runner_checkpoints['make_runner'](
        'safe-load-resumed', 3, load_from=path, resume=True)
    resumed.train()
    assert resumed.epoch == 3 and resumed.iter == 9
    history = resumed.message_hub.get_scalar('train/loss').data[0]
    # the 6 losses of the first run came back from the checkpoint
    np.testing.assert_array_equal(history[:6], runner_checkpoints['losses'])
    assert len(history) == 9 and np.isfinite(history).all()


def test_real_runner_checkpoint_as_teacher(runner_checkpoints):
    from mmengine.runner import load_checkpoint
    model = torch.nn.Module()
    model.linear = torch.nn.Linear(2, 1)
    load_checkpoint(model, f"{runner_checkpoints['work_dir']}/epoch_2.pth",
                    map_location='cpu', strict=True)
    trained = runner_checkpoints['model'].linear
    assert torch.equal(model.linear.weight, trained.weight)
    assert torch.equal(model.linear.bias, trained.bias)


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
