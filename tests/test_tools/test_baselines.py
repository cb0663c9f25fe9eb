"""Every baseline (synthetic variant) trains a few CPU iterations through
the standard entry point, with one small teacher per detector; the Table 4
ablation configs all parse into the expected loss set."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config, config


from ifkd.engine import launch
from ifkd.registry import MODELS
from tests.conftest import config_path, tiny_options

TEACHERS = {
    'retinanet': 'retinanet/retinanet_r50_fpn_1x_synthetic-sar-aircraft.py',
    'faster-rcnn':
    'faster_rcnn/faster-rcnn_r50_fpn_1x_synthetic-sar-aircraft.py',
}
PAIRS = {'retinanet': 'r50-mbv2', 'faster-rcnn': 'r50-r18'}
METHODS = ['fitnet', 'at', 'fkd', 'frs', 'fgd', 'arsd', 'insdist']
# the first loss of each method, as logged
FIRST_LOSS = {
    'fitnet': 'loss_fitnet_fpn0', 'at': 'loss_at_fpn0',
    'fkd': 'loss_fkd_fpn0', 'frs': 'loss_feat_fpn0', 'fgd': 'loss_fgd_fpn0',
    'arsd': 'loss_feat_fpn0', 'insdist': 'loss_insdist_fpn0'
}


def _options(root, size=64):
    opts = tiny_options(root)
    # small inputs and no end-of-training validation: only the losses run
    opts['train_dataloader.dataset.pipeline.2.scale'] = (size, size)
    opts['train_cfg.val_begin'] = 100
    return opts


@pytest.fixture(scope='module', autouse=True)
def _fast_cpu():
    # Runner yapf-formats these large configs several times per run (~7 s
    # each on CPU); the unformatted text is the same config. Small convs run
    # several times faster on one thread than on two contended ones.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config, 'FormatCode', lambda text, **kwargs: (text, False))
        yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def teachers(synthetic_root, tmp_path_factory, _fast_cpu):
    out = {}
    for det, cfg in TEACHERS.items():
        work = str(tmp_path_factory.mktemp(f'teacher_{det}'))
        opts = _options(synthetic_root)
        opts['train_dataloader.dataset.indices'] = 2  # one iteration
        launch.train(config_path(cfg), work_dir=work, cfg_options=opts)
        out[det] = osp.join(work, 'epoch_1.pth')
    return out


@pytest.mark.parametrize('det', sorted(PAIRS))
@pytest.mark.parametrize('method', METHODS)
def test_baseline_trains(method, det, synthetic_root, teachers, tmp_path):
    cfg = (f'baselines/{method}_{det}_{PAIRS[det]}_fpn_1x_'
           'synthetic-sar-aircraft.py')
    opts = {
        # FKD's non-local keys are max-pooled by 2 x 2 x stride: P5 needs
        # at least 4 x 4 cells
        **_options(synthetic_root, 128 if method == 'fkd' else 64),
        'model.teacher_ckpt': teachers[det],
        'default_hooks.checkpoint.interval': 100,
        'default_hooks.checkpoint.save_last': False,
    }
    runner = launch.train(config_path(cfg), work_dir=str(tmp_path),
                          cfg_options=opts)
    assert runner.iter == 2
    log = open(glob.glob(str(tmp_path / '*' / '*.log'))[0]).read()
    assert f'distill.{FIRST_LOSS[method]}' in log
    losses = [
        float(line.split(f'distill.{FIRST_LOSS[method]}: ')[1].split()[0])
        for line in log.splitlines()
        if f'distill.{FIRST_LOSS[method]}: ' in line
    ]
    assert losses and all(torch.isfinite(torch.tensor(losses)))
    if method == 'arsd':  # SSRD runs on the head's box deltas too
        assert 'distill.loss_ssrd: ' in log
    _check_one_step_distills(runner.model, runner.train_dataloader)


# Connectors whose output weights the loss: an all-zero one would silence it.
MASK_TYPES = ('FRSMaskConnector', 'FGDMaskConnector', 'ARSDMaskConnector',
              'InsDistMaskConnector')


def _check_one_step_distills(model, loader):
    """One more step of the trained model: every kind of distillation loss
    is > 0 (summed over levels: ARSD leaves levels without boxes at 0) and
    every mask connector selects something on some level.

    SSRD's margin is lowered for this step: with barely trained models the
    teacher may out-regress the student on no anchor of the batch, which
    legitimately zeroes the loss; a margin of -1 IoU selects every positive
    anchor, so a zero would then mean broken plumbing."""
    for module in model.distiller.connectors.values():
        if type(module).__name__ == 'SSRDSelectorConnector':
            module.margin = -1.0
    masks = {}
    hooks = [
        module.register_forward_hook(
            lambda m, args, out, kind=type(module).__name__: masks.setdefault(
                kind, []).append(out[0] if isinstance(out, tuple) else out))
        for module in model.distiller.connectors.values()
        if type(module).__name__ in MASK_TYPES
    ]
    data = model.data_preprocessor(next(iter(loader)), True)
    with torch.no_grad():
        losses = model.loss(data['inputs'], data['data_samples'])
    for h in hooks:
        h.remove()
    totals = {}
    for key, value in losses.items():
        if key.startswith('distill.') and 'loss' in key:
            kind = key.rstrip('0123456789')
            totals[kind] = totals.get(kind, 0.) + float(value)
    assert totals and all(v > 0 for v in totals.values()), totals
    for kind, outs in masks.items():
        assert sum(float(o.abs().sum()) for o in outs) > 0, \
            f'{kind}: all-zero mask on every level'


ABLATIONS = {
    'at': (False, False, False), 'at-ede': (True, False, False),
    'at-fdr': (False, True, False), 'at-hsm': (False, False, True),
    'at-ede-fdr': (True, True, False), 'at-ede-hsm': (True, False, True),
    'at-fdr-hsm': (False, True, True), 'at-ede-fdr-hsm': (True, True, True)
}


def _connector_kinds(distiller):
    return {type(c).__name__ for c in distiller.connectors.values()}


@pytest.mark.parametrize('dataset', ['shiprs', 'synthetic-sar-aircraft'])
def test_ablation_configs_build_the_modules_they_name(dataset, sam_checkpoint):
    ifkd_cfg = Config.fromfile(config_path(
        f'ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_{dataset}.py')).model.distiller
    for name, (ede, fdr, hsm) in ABLATIONS.items():
        cfg = Config.fromfile(config_path(
            f'ablations/{name}_retinanet_r50-mbv2_fpn_1x_{dataset}.py'))
        d = cfg.model.distiller
        if d.get('sam_checkpoint'):
            d.sam_checkpoint = sam_checkpoint
        d.pop('sam_cache', None)
        distiller = MODELS.build(d)
        kinds = _connector_kinds(distiller)
        assert ('EDEConnector' in kinds) == ede, name
        assert ('FDRConnector' in kinds) == fdr, name
        assert ('HSMConnector' in kinds) == hsm, name
        # FRS masks only feed FDR; MobileSAM is built only for EDE
        assert ('FRSMaskConnector' in kinds) == fdr, name
        assert (distiller._sam is not None) == ede, name
        at = {f'loss_at_fpn{i}' for i in range(5)}
        ifkd_losses = {f'loss_{k}_fpn{i}' for k in ('feat', 'head')
                       for i in range(5)}
        expected = at | (ifkd_losses if (ede or fdr or hsm) else set())
        assert set(distiller.distill_losses) == expected, name
        if name == 'at':
            continue
        maps = distiller.loss_forward_mappings
        for i in range(5):
            assert ('mask' in maps[f'loss_feat_fpn{i}']) == hsm, name
            assert ('mask' in maps[f'loss_head_fpn{i}']) == hsm, name
            chain = maps[f'loss_feat_fpn{i}']['preds_T'].get('connector', [])
            assert chain == [f't_ede{i}'] * ede + [f't_fdr{i}'] * fdr, name
        if ede and fdr and hsm:  # all three: exactly IFKD's own specs
            for loss, args in ifkd_cfg.loss_forward_mappings.items():
                assert maps[loss] == args, loss


def test_unknown_ablation_module_fails_at_build():
    with pytest.raises(ValueError, match=r"unknown IFKD modules \['edd'\]"):
        MODELS.build(dict(type='ifkd.IFKDDistiller', modules=['edd']))
