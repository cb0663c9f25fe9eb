"""The real SEN12MS-CR configs, offline: each parses, its loaders read a
tiny set in the real layout through the real pipelines (band selection and
stored statistics checked against numpy), its model builds with 10 classes
and the selected channel counts, trains one step (the distillation
configs with random teachers: finite distillation losses only, the
student moves, the teachers do not), and the ImageNet initialisation loads
everything but the multi-band stem."""
import glob
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from ifkd.datasets.sen12ms import SEN12MS_CLS_BANDS
from ifkd.datasets.transforms.load_sen12ms import read_tile, scale_modality
from ifkd.models.algorithms.detection_distill import load_model_cfg
from ifkd.registry import MODELS

CFG_DIR = 'configs/cloudy_scene_cls'
OPT_CH, SAR_CH = len(SEN12MS_CLS_BANDS), 2
# Plain models: config -> input channels of each modality it sees.
MODELS_CH = {
    'source_resnet50_1xb32_sen12ms-cr': dict(img=OPT_CH),
    'opt_resnet18_1xb32_sen12ms-cr': dict(img=OPT_CH),
    'sar_resnet18_1xb32_sen12ms-cr': dict(img=SAR_CH),
    'two-branch_resnet18_1xb32_sen12ms-cr': dict(opt=OPT_CH, sar=SAR_CH),
}
# Distillation configs: config -> the distillation losses it must log.
DISTILL = {
    'step1-opt_resnet18_1xb32_sen12ms-cr': ['loss_pl'],
    'step1-sar_resnet18_1xb32_sen12ms-cr': ['loss_pl'],
    'kd-s_resnet18_1xb32_sen12ms-cr': ['loss_pl'],
    'opt2sar_resnet18_1xb32_sen12ms-cr': ['loss_pl'],
    'late-fusion_two-branch-resnet18_1xb32_sen12ms-cr': ['loss_pl'],
    **{f'step2-{r}_two-branch-resnet18_1xb32_sen12ms-cr':
       ['loss_fused', 'loss_opt', 'loss_sar']
       for r in ('none', 'ogm-ge', 'sample-reg')},
}


def path_of(name: str) -> str:
    return osp.join(CFG_DIR, name + '.py')


def offline(model_cfg):
    """The model config with every ``init_cfg`` dropped (nothing can be
    downloaded here) and ``cfg_path`` references resolved."""
    model_cfg = load_model_cfg(model_cfg)
    if isinstance(model_cfg, dict):
        return type(model_cfg)({
            k: None if k == 'init_cfg' else offline(v)
            for k, v in model_cfg.items()
        })
    if isinstance(model_cfg, (list, tuple)):
        return type(model_cfg)(offline(v) for v in model_cfg)
    return model_cfg


def build(model_cfg):
    """Build under mmpretrain's scope (as the runner does)."""
    init_default_scope('mmpretrain')
    return MODELS.build(model_cfg)


def loader(cfg: Config, split: str, data_root: str):
    dl = cfg[f'{split}_dataloader'].copy()
    dl.update(batch_size=2, num_workers=0, persistent_workers=False,
              pin_memory=False)
    dl.dataset.data_root = data_root
    return Runner.build_dataloader(dl, seed=0)


@pytest.fixture(scope='module')
def tiny_root(tmp_path_factory):
    """Two patches a split of 64 px in the SEN12MS-CR layout, with the
    band statistics written by the stats tool."""
    import sys
    from ifkd.datasets.synthetic_sen12ms import generate_sen12ms_dataset
    root = str(tmp_path_factory.mktemp('sen12ms-cr'))
    generate_sen12ms_dataset(root, num_source=2, num_train=2, num_test=2,
                             img_size=64, cloud_cover=(0.2, 0.8), seed=0)
    sys.path.insert(0, 'tools/analysis_tools')
    import sen12ms_band_stats
    sen12ms_band_stats.main([root, '--split', 'splits/source.txt'])
    return root + '/'


@pytest.fixture(scope='module')
def aux_ckpts(tmp_path_factory):
    """Random step-1 auxiliaries saved as real checkpoint files."""
    out = {}
    for m in ('opt', 'sar'):
        cfg = Config.fromfile(path_of(f'{m}_resnet18_1xb32_sen12ms-cr'))
        out[m] = str(tmp_path_factory.mktemp('aux') / f'{m}.pth')
        torch.save(dict(state_dict=build(offline(cfg.model))
                        .state_dict()), out[m])
    return out


def test_every_real_config_listed():
    real = {osp.basename(p)[:-3]
            for p in glob.glob(osp.join(CFG_DIR, '*_sen12ms-cr.py'))}
    assert real == set(MODELS_CH) | set(DISTILL)


@pytest.mark.parametrize('name', sorted(set(MODELS_CH) | set(DISTILL)))
def test_real_data_settings(name):
    cfg = Config.fromfile(path_of(name))
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.optim_wrapper.optimizer.type == 'SGD'
    assert cfg.train_cfg.max_epochs == (30 if 'source' in name else 20)
    for split in ('train', 'val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        assert dataset.data_root == 'data/SEN12MS-CR/'
        loads = [t for t in dataset.pipeline
                 if t.type == 'ifkd.LoadSEN12MSPatch']
        assert len(loads) == 1
        assert tuple(loads[0].s2_bands) == SEN12MS_CLS_BANDS
        assert loads[0].band_stats == 'band_stats.json'
        assert not loads[0].get('cache', False)


def test_source_loader_selects_bands_and_normalises(tiny_root):
    """The test pipeline's clear-S2 input is the selected bands of the
    GeoTIFF, scaled and normalised by the stored statistics (numpy)."""
    cfg = Config.fromfile(path_of('source_resnet50_1xb32_sen12ms-cr'))
    batch = next(iter(loader(cfg, 'val', tiny_root)))
    sample = batch['data_samples'][0]
    raw = scale_modality(read_tile(glob.glob(osp.join(
        tiny_root, '*_s2', '*', sample.s2_name))[0]), 's2')
    with open(osp.join(tiny_root, 'band_stats.json')) as f:
        stats = json.load(f)['s2']
    keep = [b - 1 for b in SEN12MS_CLS_BANDS]
    want = (raw[..., keep] - np.array(stats['mean'])[keep]) / np.array(
        stats['std'])[keep]
    want = np.clip(want, -5, 5).transpose(2, 0, 1)
    got = batch['inputs'][0].numpy()
    assert got.shape == (OPT_CH, 64, 64)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert 0 <= sample.cloud_cover <= 1  # derived: SEN12MS-CR has no masks


def _one_step(model, batch, params):
    before = [p.detach().clone() for p in params]
    optim = OptimWrapper(torch.optim.SGD(params, lr=0.1))
    log_vars = model.train_step(batch, optim)
    moved = any(not torch.equal(a, p) for a, p in zip(before, params))
    return log_vars, moved


@pytest.mark.parametrize('name', sorted(MODELS_CH))
def test_model_configs_build_and_train(tiny_root, name):
    cfg = Config.fromfile(path_of(name))
    model = build(offline(cfg.model))
    assert model.head.num_classes == 10
    convs = ({m: b.backbone.conv1 for m, b in model.branches.items()}
             if 'branches' in cfg.model else dict(img=model.backbone.conv1))
    assert {m: c.in_channels for m, c in convs.items()} == MODELS_CH[name]
    batch = next(iter(loader(cfg, 'train', tiny_root)))
    inputs = batch['inputs']
    inputs = (dict(img=torch.stack(inputs)) if isinstance(inputs, list)
              else {m: torch.stack(x) for m, x in inputs.items()})
    assert {m: x.shape[1:] for m, x in inputs.items()} == {
        m: (c, 64, 64) for m, c in MODELS_CH[name].items()}
    log_vars, moved = _one_step(model, batch, list(model.parameters()))
    assert np.isfinite(float(log_vars['loss'].detach())) and moved
    model.eval()
    data = model.data_preprocessor(batch, False)
    assert model(data['inputs'], mode='tensor').shape == (2, 10)
    preds = model.val_step(next(iter(loader(cfg, 'val', tiny_root))))
    assert preds[0].pred_score.shape == (10, )


@pytest.mark.parametrize('name', sorted(DISTILL))
def test_distill_configs_train_one_step(tiny_root, aux_ckpts, name):
    cfg = Config.fromfile(path_of(name))
    model_cfg = cfg.model
    model_cfg.architecture = offline(model_cfg.architecture)
    if 'teachers' in model_cfg:
        for m, spec in model_cfg.teachers.items():
            spec.model, spec.ckpt = offline(spec.model), aux_ckpts[m]
    else:
        model_cfg.teacher = offline(model_cfg.teacher)
        model_cfg.teacher_ckpt = None  # a random source
    model = build(model_cfg)
    assert model.student.head.num_classes == 10
    teacher = [p.detach().clone() for p in model.teacher.parameters()]
    batch = next(iter(loader(cfg, 'train', tiny_root)))
    log_vars, moved = _one_step(model, batch,
                                list(model.student.parameters()))
    losses = {k for k in log_vars if k.startswith('distill.')}
    assert losses == {f'distill.{k}' for k in DISTILL[name]}
    assert all(np.isfinite(float(log_vars[k])) for k in losses)
    assert not any('loss_cls' in k for k in log_vars)  # no target labels
    # Kept fractions: every sample where unfiltered; a random source is
    # never 90 % confident on 10 classes, so step 1 keeps none, its loss
    # is 0 and the student cannot move.
    hub = MessageHub.get_current_instance()
    kept = {}
    for key, loss in cfg.model.distiller.distill_losses.items():
        kept[key] = hub.get_scalar(f'train/{loss.log_name}_kept').current()
        assert kept[key] == (1.0 if loss.threshold == 0 else 0.0), key
        if kept[key] == 0:
            assert float(log_vars[f'distill.{key}']) == 0.0
    assert moved == any(v > 0 for v in kept.values())
    assert all(torch.equal(a, p)
               for a, p in zip(teacher, model.teacher.parameters()))
    preds = model.val_step(next(iter(loader(cfg, 'val', tiny_root))))
    assert len(preds) == 2 and preds[0].pred_score.shape == (10, )


@pytest.mark.parametrize('name', [
    'source_resnet50_1xb32_sen12ms-cr', 'sar_resnet18_1xb32_sen12ms-cr',
    'two-branch_resnet18_1xb32_sen12ms-cr'
])
def test_imagenet_init_skips_only_the_stem(tmp_path, name):
    """A stand-in for the ImageNet file (an RGB mmpretrain ResNet saved
    locally) loads into every backbone weight but the multi-band stem."""
    cfg = Config.fromfile(path_of(name))
    depth = 50 if 'resnet50' in name else 18
    rgb = build(dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=depth, out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000,
                  in_channels=512 if depth == 18 else 2048)))
    ckpt = str(tmp_path / 'imagenet.pth')
    torch.save(dict(state_dict=rgb.state_dict()), ckpt)
    text = cfg.pretty_text.replace(cfg.imagenet_ckpt, ckpt) \
        if 'imagenet_ckpt' in cfg else None
    assert text is not None and ckpt in text
    model = build(Config.fromstring(text, '.py').model)
    model.init_weights()
    backbones = ([b.backbone for b in model.branches.values()]
                 if 'branches' in cfg.model else [model.backbone])
    want = rgb.backbone.state_dict()
    for backbone in backbones:
        for key, value in backbone.state_dict().items():
            if key == 'conv1.weight':
                assert value.shape[1] in (OPT_CH, SAR_CH)
                assert value.shape[1:] != want[key].shape[1:]
            else:
                assert torch.equal(value, want[key]), key
