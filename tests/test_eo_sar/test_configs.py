"""Every EO-SAR config builds its model; the real-data (MAVOC) pipelines
run on the synthetic chips; the fine-tune configs freeze all but the head;
the seed code's loss config trains the EO model jointly."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from tests.conftest import REPO

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'eo_sar_cls', '*.py')))


def build(path):
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(path)
    if 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = None
    return cfg, MODELS.build(cfg.model)


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds(path):
    cfg, model = build(path)
    student = getattr(model, 'student', model)
    assert student.head.num_classes == 10
    if 'teacher' in cfg.model:
        assert type(model).__name__ == 'CrossModalDistill'
        assert model.teacher_modality == ('eo', )
        assert model.student_modality == ('sar', )


@pytest.mark.parametrize('name', [
    'resnet18-w8_1xb32-head-ft_synthetic-sar',
    'resnet18_1xb64-head-ft_mavoc-sar',
    'vit-base-p32-clip_1xb64-head-ft_mavoc-sar',
])
def test_fine_tune_trains_only_the_head(name):
    _, model = build(osp.join(REPO, 'configs', 'eo_sar_cls', name + '.py'))
    model.train()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith('head.') for n in trainable)
    norms = [m for m in model.backbone.modules()
             if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    assert all(not m.training for m in norms)


def test_mavoc_pipelines_on_synthetic_chips(tiny_eo_sar):
    from mmengine.registry import DATASETS
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(osp.join(
        REPO, 'configs', 'eo_sar_cls',
        'kd_resnet50-eo_resnet18-sar_1xb64_mavoc.py'))
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.data_root = tiny_eo_sar
    item = DATASETS.build(ds_cfg)[0]
    assert item['inputs']['eo'].shape == (3, 224, 224)
    assert item['inputs']['sar'].shape == (3, 224, 224)
    test_cfg = cfg.test_dataloader.dataset
    test_cfg.data_root = tiny_eo_sar
    sample = DATASETS.build(test_cfg)[0]
    assert sample['inputs'].shape == (3, 224, 224)
    assert 'gt_label' not in sample['data_samples']  # blind by default


def test_seed_code_config_trains_the_eo_model_jointly():
    cfg, model = build(osp.join(
        REPO, 'configs', 'eo_sar_cls',
        'nce-sortmse_resnet18-w8-eo_resnet18-w8-sar_1xb32_synthetic-eo-sar'
        '.py'))
    assert model.teacher_trainable
    assert cfg.model.teacher.cfg_path.endswith(
        'resnet18-w8_1xb32-focal_synthetic-eo.py')
    teacher_cfg = Config.fromfile(cfg.model.teacher.cfg_path)
    assert teacher_cfg.model.head.loss == dict(type='ifkd.SoftmaxFocalLoss',
                                               gamma=0.5)
    (hook, ) = cfg.custom_hooks
    assert hook.schedule['loss_nce'] == {0: 0.8, 10: 0.5}
    assert hook.schedule['loss_sorted_mse'] == {0: 0.2, 10: 0.5}
