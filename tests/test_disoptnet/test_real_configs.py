"""The SpaceNet 6 (EfficientNet-B3) stage-2 configs build offline (ImageNet
weights switched off) and their recorded teacher / student feature pairs
have matching shapes."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from ifkd.registry import MODELS

D = 'configs/disoptnet_seg/'


@pytest.mark.parametrize('name', ['disoptnet', 'ifkd-disoptnet'])
def test_real_stage2_builds_and_pairs_match(name):
    init_default_scope('mmseg')
    cfg = Config.fromfile(D + f'{name}_effb3-d16_1xb8-512px_spacenet6.py')
    off = {'backbone.pretrained': False}
    # 64 px inputs (the configs pad SAR batches to 512).
    cfg.model.architecture['cfg_options'] = dict(
        off, **{'data_preprocessor.size': (64, 64)})
    cfg.model.teacher['cfg_options'] = off
    cfg.model.teacher_ckpt = None
    model = MODELS.build(cfg.model)
    model.train()
    x = {'sar': torch.rand(2, 4, 64, 64) * 255,
         'optical': torch.rand(2, 4, 64, 64) * 255}
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    samples = [SegDataSample(gt_sem_seg=PixelData(
        data=torch.randint(0, 2, (1, 64, 64)))) for _ in range(2)]
    for sample in samples:
        sample.set_metainfo(dict(img_shape=(64, 64)))
    data = model.data_preprocessor(
        dict(inputs={k: list(v) for k, v in x.items()},
             data_samples=samples), True)
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    for key in ('loss_pseudo', 'loss_pkd', 'loss_feat_stage3',
                'loss_feat_stage4', 'loss_feat_decoder'):
        assert torch.isfinite(losses[f'distill.{key}']), key
