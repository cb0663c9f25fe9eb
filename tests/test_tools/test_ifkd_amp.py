"""IFKD under mixed precision: one distillation step of the RetinaNet config
under CPU bf16 autocast (what AmpOptimWrapper does on CUDA with fp16), and
MobileSAM built once per process across algorithm builds."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from ifkd.engine.benchmark import synthetic_batches, warm_sam_cache
from ifkd.models.utils import mobile_sam_encoder
from tests.conftest import config_path

IFKD = 'ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft.py'


def _build(sam_checkpoint, cache_dir):
    from mmdet.registry import MODELS
    cfg = Config.fromfile(config_path(IFKD))
    init_default_scope('mmdet')
    cfg.model.teacher_ckpt = None
    cfg.model.distiller.sam_checkpoint = sam_checkpoint
    cfg.model.distiller.sam_cache = dict(dir=cache_dir, enabled=True)
    return MODELS.build(cfg.model)


def test_bf16_autocast_step_keeps_fft_and_loss_fp32(sam_checkpoint, tmp_path,
                                                    monkeypatch):
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
    real_fft2 = torch.fft.fft2
    monkeypatch.setattr(torch.fft, 'fft2',
                        lambda x, *a, **k: fft_dtypes.append(x.dtype) or
                        real_fft2(x, *a, **k))
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
    assert len(fft_dtypes) >= 5
    assert set(fft_dtypes) == {torch.float32}
    for i in range(5):
        grad = algo.distiller.connectors[f't_fdr{i}'].log_w.grad
        assert grad is not None and torch.isfinite(grad).all()
    student = [p.grad for p in algo.student.parameters() if p.grad is not None]
    assert student and all(torch.isfinite(g).all() for g in student)
