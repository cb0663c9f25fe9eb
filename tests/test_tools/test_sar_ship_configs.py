"""Every config of configs/sar_ship_cls builds and its model runs forward;
initialisation, freezing, losses and distillation are what the names say;
a num_classes mismatch fails before the runner is built."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from tests.conftest import REPO

CFG_DIR = osp.join(REPO, 'configs', 'sar_ship_cls')
CONFIGS = sorted(
    osp.splitext(osp.basename(p))[0]
    for p in glob.glob(osp.join(CFG_DIR, '*.py')))
REAL = ('fusar-ship', 'opensarship', 'mixed-sar-ship')
MODEL_ZOO = 'https://download.openmmlab.com/mmclassification/v0/'


def load(name: str, **options) -> Config:
    cfg = Config.fromfile(osp.join(CFG_DIR, name + '.py'))
    cfg.merge_from_dict(options)
    return cfg


def is_distill(name: str) -> bool:
    return name.split('_')[0] in ('kd', 'ifkd-feat', 'kd-ifkd')


def build(cfg: Config):
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    # as the runner does: the config's data_preprocessor goes to the model
    model_cfg = cfg.model.copy()
    model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    return MODELS.build(model_cfg)


def batch(model, size: int, labels=(0, 1, 2)):
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(0)
    data = dict(
        inputs=[
            torch.randint(0, 256, (3, size, size), generator=g,
                          dtype=torch.uint8) for _ in labels
        ],
        data_samples=[DataSample().set_gt_label(i) for i in labels])
    return model.data_preprocessor(data, True)


def test_the_config_set_is_complete():
    archs = ('shipcnn', 'vgg16', 'resnet50', 'resnet18')
    for ds in REAL + ('synthetic-sar-ship', ):
        for arch in archs:
            assert f'{arch}_1xb32_{ds}' in CONFIGS
        for method in ('kd', 'ifkd-feat', 'kd-ifkd'):
            for student in ('shipcnn', 'resnet18'):
                assert f'{method}_resnet50-{student}_1xb32_{ds}' in CONFIGS
    for ds in REAL:
        for arch in ('vgg16', 'resnet50'):
            assert f'{arch}-frozen_1xb32_{ds}' in CONFIGS
        for arch in archs:
            assert f'{arch}_1xb32-focal_{ds}' in CONFIGS
    assert len(CONFIGS) == 58


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_and_runs_forward(name):
    cfg = load(name)
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.custom_imports == dict(imports=['ifkd'],
                                      allow_failed_imports=False)
    real = name.endswith(REAL)
    # Real-data models from ImageNet weights, synthetic ones from scratch.
    student = cfg.model.architecture if is_distill(name) else cfg.model
    init = student.backbone.get('init_cfg')
    if real and not name.startswith(('shipcnn', 'kd_resnet50-shipcnn',
                                     'ifkd-feat_resnet50-shipcnn',
                                     'kd-ifkd_resnet50-shipcnn')):
        assert init['type'] == 'Pretrained'
        assert init['checkpoint'].startswith(MODEL_ZOO)
        assert init['prefix'] == 'backbone'
    else:
        assert init is None
    if is_distill(name):
        cfg.model.teacher_ckpt = None
    model = build(cfg)
    data = batch(model, 32)  # 1 x 1 last maps for ImageNet ResNets: cheap
    if is_distill(name):
        check_distillation(name, model, data)
    else:
        check_classifier(name, model, data)


def check_classifier(name, model, data):
    model.train()
    logits = model(data['inputs'], mode='tensor')
    assert logits.shape == (3, 3)
    if '-frozen' in name:
        # backbone frozen, BN statistics too; the new MLP head trains
        assert all(not p.requires_grad for p in model.backbone.parameters())
        assert all(p.requires_grad for p in model.head.parameters())
        assert len(model.head.layers) == 2
        if 'resnet50' in name:
            bn = model.backbone.layer4[2].bn3
            before = bn.running_mean.clone()
            model(data['inputs'], mode='tensor')
            assert torch.equal(bn.running_mean, before)
    else:
        # the linear head reads the globally pooled last map
        model.eval()
        feats = model.backbone(data['inputs'])[-1]
        expected = model.head.fc(feats.mean(dim=(2, 3)))
        assert torch.allclose(
            model(data['inputs'], mode='tensor'), expected, atol=1e-5)
    loss = model(data['inputs'], data['data_samples'], mode='loss')['loss']
    assert torch.isfinite(loss)
    if '-focal' in name:
        from ifkd.models.losses.focal_softmax import SoftmaxFocalLoss
        assert isinstance(model.head.loss_module, SoftmaxFocalLoss)
        assert model.head.loss_module.gamma == 2.0
    else:
        # plain cross-entropy, checked against torch's
        from mmpretrain.models.losses import CrossEntropyLoss
        assert isinstance(model.head.loss_module, CrossEntropyLoss)
        if '-frozen' not in name:  # dropout would differ between calls
            model.eval()
            logits = model(data['inputs'], mode='tensor')
            ref = torch.nn.functional.cross_entropy(
                logits, torch.tensor([0, 1, 2]))
            loss = model(data['inputs'], data['data_samples'],
                         mode='loss')['loss']
            assert torch.allclose(loss, ref, atol=1e-5)


def check_distillation(name, model, data):
    from ifkd.models.algorithms import ClassificationDistill
    assert isinstance(model, ClassificationDistill)
    method = name.split('_')[0]
    model.train()
    assert not model.teacher.training  # frozen teacher in eval mode
    losses = model(**data, mode='loss')
    expected = {'kd': {'loss_kd'}, 'ifkd-feat': {'loss_feat'},
                'kd-ifkd': {'loss_kd', 'loss_feat'}}[method]
    got = {k.split('.', 1)[1] for k in losses
           if k.startswith('distill.loss')}
    assert got == expected
    for key in expected:
        assert torch.isfinite(losses[f'distill.{key}'])
        assert losses[f'distill.{key}'] > 0
    if 'loss_kd' in expected:
        # tau^2 KL(teacher || student) at tau = 4, by hand
        with torch.no_grad():
            s = model.student(data['inputs'], mode='tensor') / 4
            t = model.teacher(data['inputs'], mode='tensor') / 4
            kl = (t.softmax(1) * (t.log_softmax(1) - s.log_softmax(1))).sum(
                1).mean() * 16
        assert torch.allclose(losses['distill.loss_kd'], kl, rtol=1e-4,
                              atol=1e-6)
    # distillation trains the student (and the adapter), never the teacher
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert model.student.backbone.stages[0][0].conv.weight.grad.abs().sum() \
        > 0 if 'shipcnn' in name else \
        model.student.backbone.conv1.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.teacher.parameters())
    if 'loss_feat' in expected:
        adapt = model.distiller.connectors['s_adapt']
        assert adapt.conv_module.conv.weight.grad.abs().sum() > 0


def test_num_classes_mismatch_fails_early():
    from ifkd.engine.checks import check_config
    name = 'kd_resnet50-shipcnn_1xb32_synthetic-sar-ship'
    check_config(load(name))  # consistent: no error
    with pytest.raises(ValueError, match=r'the student predicts 4 classes '
                       r"but the dataset has 3 \('Cargo', 'Fishing', "
                       r"'Tanker'\).*Set the student's num_classes to 3"):
        check_config(load(name, **{'model.architecture.head.num_classes': 4}))
    with pytest.raises(ValueError, match='the teacher predicts 5 classes'):
        check_config(
            load(name,
                 **{'model.teacher.cfg_options': {'head.num_classes': 5}}))
    with pytest.raises(ValueError, match=r'the model predicts 3 classes but '
                       r"the dataset has 2 \('Cargo', 'Tanker'\)"):
        check_config(
            load('shipcnn_1xb32_fusar-ship',
                 **{'train_dataloader.dataset.classes': ['Cargo',
                                                         'Tanker']}))
    # built directly (no config check), teacher and student still disagree
    cfg = load(name, **{'model.teacher.cfg_options': {'head.num_classes': 5}})
    cfg.model.teacher_ckpt = None
    with pytest.raises(ValueError, match='teacher predicts 5 classes but '
                       'the student 3'):
        build(cfg)
