"""IFKD under mixed precision: one distillation step of the RetinaNet config
under CPU bf16 autocast (what AmpOptimWrapper does on CUDA with fp16),
``train --amp`` end to end through AmpOptimWrapper, and MobileSAM built once
per process across algorithm builds."""
import functools
import glob
import json
import math
import os.path as osp

import pytest
import torch
from mmdet.models.necks import FPN
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper
from mmengine.optim.optimizer import amp_optimizer_wrapper
from mmengine.registry import init_default_scope

from ifkd.engine import launch
from ifkd.engine.benchmark import synthetic_batches, warm_sam_cache
from ifkd.models.connectors import fdr as fdr_module
from ifkd.models.utils import mobile_sam_encoder
from tests.conftest import config_path, tiny_options
from tests.test_tools.test_build_sam_cache import _tool

IFKD = 'ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft.py'


def _build(sam_checkpoint, cache_dir):
    from mmdet.registry import MODELS
    cfg = Config.fromfile(config_path(IFKD))
    init_default_scope('mmdet')
    cfg.model.teacher_ckpt = None
    cfg.model.distiller.sam_checkpoint = sam_checkpoint
    cfg.model.distiller.sam_cache = dict(dir=cache_dir, enabled=True)
    return MODELS.build(cfg.model)


P7 = 'neck.fpn_convs.4.'


def non_finite_student_grads(algo) -> list:
    return [n for n, p in algo.student.named_parameters()
            if p.grad is not None and not torch.isfinite(p.grad).all()]


def test_bf16_autocast_step_keeps_fft_and_loss_fp32(sam_checkpoint, tmp_path,
                                                    monkeypatch):
    algo = bf16_step(sam_checkpoint, tmp_path, monkeypatch)
    bad = non_finite_student_grads(algo)
    # P7's own conv is excluded: its input map is 1 x 1 here, where torch's
    # CPU bf16 conv weight gradient is garbage (tools/misc/
    # cpu_bf16_conv_grad.py; README, Tests)
    assert not [n for n in bad if not n.startswith(P7)], bad


def bf16_step(sam_checkpoint, tmp_path, monkeypatch):
    """One IFKD step under CPU bf16 autocast, with its checks; returns the
    model after backward."""
    # seeded: the weights (and so bf16 rounding) must not depend on which
    # tests ran before
    torch.manual_seed(0)
    loads = []
    real_load = mobile_sam_encoder._load_vit_t
    monkeypatch.setattr(mobile_sam_encoder, '_load_vit_t',
                        lambda *a: loads.append(a) or real_load(*a))
    algo = _build(sam_checkpoint, str(tmp_path / 'cache'))
    again = _build(sam_checkpoint, str(tmp_path / 'cache'))
    assert again.distiller._sam is algo.distiller._sam
    assert len(loads) <= 1  # 0 if an earlier test built it already
    del again

    fft_dtypes, neck_dtypes = [], []
    # Every spectral filter of FDR (dense DFT or FFT) goes through this.
    real_filter = fdr_module.filter_real
    monkeypatch.setattr(
        fdr_module, 'filter_real', lambda x, gain: fft_dtypes.extend(
            [x.dtype, gain.dtype]) or real_filter(x, gain))
    algo.student.neck.register_forward_hook(
        lambda m, i, o: neck_dtypes.append(o[0].dtype))
    algo.train()
    batch = synthetic_batches(1, 2, 64, 4, str(tmp_path))[0]
    data = algo.data_preprocessor(batch, True)
    # MobileSAM in fp32 first, through the cache: under CPU bf16 autocast
    # (emulated bf16) its 1024 x 1024 encoder takes minutes.
    warm_sam_cache(algo, [batch])
    monkeypatch.setattr(
        mobile_sam_encoder.MobileSAMEncoder, 'embed',
        lambda *a: pytest.fail('the cache should serve this batch'))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = algo.loss(data['inputs'], data['data_samples'])
        loss, _ = algo.parse_losses(losses)
    assert neck_dtypes == [torch.bfloat16]  # autocast is in effect
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    for name, value in losses.items():
        if name.startswith('distill.'):
            assert value.dtype == torch.float32, name
    loss.backward()
    # FDR: every FFT (5 levels x (low band + filter)) ran on fp32 inputs
    assert len(fft_dtypes) >= 10  # 5 levels, map and gain each
    assert set(fft_dtypes) == {torch.float32}
    for i in range(5):
        grad = algo.distiller.connectors[f't_fdr{i}'].log_w.grad
        assert grad is not None and torch.isfinite(grad).all()
    assert [p for p in algo.student.parameters() if p.grad is not None]
    return algo


def test_amp_training_runs_and_resumes(synthetic_root, sam_checkpoint,
                                       tmp_path, monkeypatch):
    """``train(amp=True)``: AmpOptimWrapper, its autocast around the whole
    train step, gradient clipping, checkpoint (loss scaler included) and
    resume. mmengine builds the wrapper only on an accelerator: on CPU
    ``use_amp`` refuses with the fix; past that check (lifted here, with
    mmengine's own assertion) the wrapper's autocast is bf16, everything
    else is the CUDA path. torch disables the CUDA loss scaler without a
    GPU, so the wrapper gets torch's CPU one: the same ``torch.amp``
    class, with the state (scale, growth tracker) that a resume must
    restore."""
    opts = {
        **tiny_options(synthetic_root),
        'model.teacher_ckpt': None,
        'model.distiller.sam_checkpoint': sam_checkpoint,
        'model.distiller.sam_cache.dir': str(tmp_path / 'cache'),
    }
    with pytest.raises(RuntimeError, match='--amp needs a CUDA'):
        launch.train(config_path(IFKD), work_dir=str(tmp_path / 'refused'),
                     amp=True, cfg_options=opts)
    # MobileSAM in fp32 ahead of time (the tool's real use): training must
    # then only read the cache, so bf16 never reaches the 1024 px encoder.
    tool = _tool()
    tool.build_sam_cache(launch.load_config(config_path(IFKD),
                                            cfg_options=opts))
    monkeypatch.setattr(
        mobile_sam_encoder.MobileSAMEncoder, 'embed',
        lambda *a: pytest.fail('the prebuilt cache should serve training'))
    monkeypatch.setattr(launch, 'get_device', lambda: 'cuda')
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available',
                        lambda: True)
    # x4 per finite step, x0.5 per skipped one: after any two steps the
    # scale differs from its initial value.
    monkeypatch.setattr(
        amp_optimizer_wrapper, 'GradScaler',
        functools.partial(torch.amp.GradScaler, 'cpu', init_scale=1024.,
                          growth_factor=4., backoff_factor=0.5,
                          growth_interval=1))
    scales = []  # the scale each update starts from
    real_update = torch.amp.GradScaler.update
    monkeypatch.setattr(
        torch.amp.GradScaler, 'update',
        lambda self, *a: scales.append(self.get_scale()) or real_update(
            self, *a))
    fft_dtypes, neck_dtypes = [], []
    # Every spectral filter of FDR (dense DFT or FFT) goes through this.
    real_filter = fdr_module.filter_real
    monkeypatch.setattr(
        fdr_module, 'filter_real', lambda x, gain: fft_dtypes.extend(
            [x.dtype, gain.dtype]) or real_filter(x, gain))
    real_fpn = FPN.forward
    monkeypatch.setattr(
        FPN, 'forward', lambda self, x: neck_dtypes.append(
            (out := real_fpn(self, x))[0].dtype) or out)
    work = str(tmp_path / 'work')
    runner = launch.train(config_path(IFKD), work_dir=work, amp=True,
                          cfg_options=opts)
    assert isinstance(runner.optim_wrapper, AmpOptimWrapper)
    assert runner.optim_wrapper.clip_grad_kwargs['max_norm'] == 35
    # the 2 train steps ran under the wrapper's autocast (teacher and
    # student necks), the end-of-training validation did not
    assert neck_dtypes[:4] == [torch.bfloat16] * 4
    assert set(neck_dtypes[4:]) == {torch.float32}
    # every spectral filter of the run (5 levels per step) saw fp32 maps
    # and gains
    assert len(fft_dtypes) >= 20 and set(fft_dtypes) == {torch.float32}
    scalars = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    steps = [json.loads(line) for line in open(scalars[0])]
    steps = [s for s in steps if 'loss' in s]
    assert len(steps) == 2
    for step in steps:
        assert 0 < step['distill.loss_feat_fpn0'] < math.inf
        assert 0 < step['loss'] < math.inf
    ckpt = torch.load(osp.join(work, 'epoch_1.pth'), weights_only=False)
    saved = ckpt['optimizer']['loss_scaler']
    assert scales[0] == 1024. and len(scales) == 2
    assert saved['scale'] == runner.optim_wrapper.loss_scaler.get_scale()
    assert saved['scale'] in (1024. * 16, 1024. * 2, 1024. / 4)
    state1 = ckpt['state_dict']
    assert state1['distiller.connectors.t_fdr0.log_w'].abs().sum() > 0

    runner = launch.train(config_path(IFKD), work_dir=work, amp=True,
                          resume='auto',
                          cfg_options={**opts, 'train_cfg.max_epochs': 2})
    assert runner.iter == 4
    # the resumed run scaled its first step with the saved scale, not the
    # initial one
    assert len(scales) == 4 and scales[2] == saved['scale']
    state2 = torch.load(osp.join(work, 'epoch_2.pth'),
                        weights_only=False)['state_dict']
    assert not torch.equal(state1['distiller.connectors.t_fdr0.log_w'],
                           state2['distiller.connectors.t_fdr0.log_w'])
