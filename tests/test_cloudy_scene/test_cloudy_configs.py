"""Every cloudy-scene config trains, checkpoints, resumes and evaluates
(the tiny shared run), the transfer configs keep the target's labels out,
the SAR student never sees optical input, and the results tool writes
its table and plot."""
import os
import os.path as osp
import statistics

import pytest
import torch
from mmengine.config import Config

from ifkd.engine import launch
from ifkd.engine.systems.cloudy_scene import (METHODS, OPT, SAR, SOURCE,
                                              STEP2, TWO_BRANCH, config_path,
                                              stage_options)


def test_every_stage_ran_and_evaluated(cloudy_run):
    system, results = cloudy_run
    assert set(results) == {'Source on clear S2 (reference)',
                            'Source on cloudy S2 (no transfer)',
                            *METHODS}
    for row, runs in results.items():
        (metrics, ) = runs
        counts = [metrics[f'cloud/n_{b}'] for b in ('<30', '30-70', '>70')]
        assert sum(counts) == 20, row  # every test patch in one bucket
        weighted = sum(
            metrics[f'cloud/acc_{b}'] * n
            for b, n in zip(('<30', '30-70', '>70'), counts) if n) / 20
        assert weighted == pytest.approx(metrics['cloud/accuracy'])
        assert metrics['cloud/accuracy'] == pytest.approx(
            metrics['cls/accuracy'])
    for name, _ in METHODS.values():
        assert osp.isfile(osp.join(system.stage_dir(name, 0), 'epoch_1.pth'))


@pytest.mark.parametrize('name', sorted({n for n, _ in METHODS.values()}
                                        | {SOURCE}))
def test_resume(cloudy_run, name):
    """Two epochs resumed from the shared run's first: epoch 1 is not
    trained again (its checkpoint is untouched)."""
    system, _ = cloudy_run
    seed = None if name == SOURCE else 0
    work = system.stage_dir(name, seed)
    first = osp.join(work, 'epoch_1.pth')
    stamp = os.stat(first).st_mtime_ns
    options = stage_options(system.data_root, system.budget, 2, 0)
    if 'step2' in name:
        for m in ('opt', 'sar'):
            options[f'model.teachers.{m}.ckpt'] = osp.join(
                system.stage_dir(f'step1-{m}_cnn_1xb32_synthetic-sen12ms-cr',
                                 0), 'epoch_1.pth')
    elif name != SOURCE:
        options['model.teacher_ckpt'] = osp.join(system.stage_dir(SOURCE),
                                                 'epoch_1.pth')
    options['default_hooks.checkpoint.interval'] = 1
    runner = launch.train(config_path(name), work, resume='auto',
                   cfg_options=options)
    assert runner.epoch == 2 and osp.isfile(osp.join(work, 'epoch_2.pth'))
    assert os.stat(first).st_mtime_ns == stamp


@pytest.mark.parametrize('name', [OPT, SAR, TWO_BRANCH])
def test_standalone_configs(cloudy_run, tmp_path, name):
    """The auxiliaries' and the target's own (supervised) configs."""
    system, _ = cloudy_run
    options = stage_options(system.data_root, system.budget, 1, 0)
    work = str(tmp_path / name)
    launch.train(config_path(name), work, cfg_options=options)
    options.update({'train_cfg.max_epochs': 2, 'param_scheduler.end': 2})
    runner = launch.train(config_path(name), work, resume='auto',
                   cfg_options=options)
    assert runner.epoch == 2
    metrics = launch.test(config_path(name), osp.join(work, 'epoch_2.pth'),
                   str(tmp_path / 'test'), cfg_options=options)
    assert 0 <= metrics['cloud/accuracy'] <= 100


def test_transfer_configs_use_no_target_labels():
    for name, _ in METHODS.values():
        cfg = Config.fromfile(config_path(name))
        assert cfg.model.calculate_student_loss is False, name
    step1 = Config.fromfile(config_path('step1-opt_cnn_1xb32_'
                                        'synthetic-sen12ms-cr'))
    assert step1.model.distiller.distill_losses.loss_pl.threshold == 0.9
    for name in STEP2.values():
        cfg = Config.fromfile(config_path(name))
        losses = cfg.model.distiller.distill_losses
        assert all(loss.threshold == 0.0 for loss in losses.values())


def test_sar_student_never_sees_optical(cloudy_run):
    """The step-1 SAR auxiliary predicts from SAR alone: poisoning the
    optical input changes nothing."""
    from mmengine.registry import init_default_scope
    from ifkd.registry import MODELS
    system, _ = cloudy_run
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config_path('step1-sar_cnn_1xb32_'
                                      'synthetic-sen12ms-cr'))
    cfg.model.teacher_ckpt = osp.join(system.stage_dir(SOURCE),
                                      'epoch_1.pth')
    model = MODELS.build(cfg.model).eval()
    sar = torch.randn(2, 2, 16, 16)
    outs = [model(dict(opt=opt, sar=sar), mode='tensor')
            for opt in (torch.randn(2, 13, 16, 16),
                        torch.full((2, 13, 16, 16), float('nan')))]
    assert torch.equal(outs[0], outs[1]) and torch.isfinite(outs[0]).all()
    with pytest.raises(KeyError, match='missing'):
        model(dict(opt=torch.randn(2, 13, 16, 16)), mode='tensor')


def test_results_tool_writes_table_and_plot(cloudy_run, tmp_path):
    import sys
    sys.path.insert(0, 'tools/analysis_tools')
    import cloudy_scene_results as tool
    from tests.test_cloudy_scene.conftest import TINY
    system, results = cloudy_run
    readme = tmp_path / 'README.md'
    readme.write_text(f'intro\n{tool.BEGIN}\nold\n{tool.END}\ntail\n')
    args = ['--work-dir', system.work_dir, '--data-root', system.data_root,
            '--seeds', '0', '--docs', str(readme), '--figure',
            str(tmp_path / 'contrib.png')]
    for key, value in TINY.items():
        args += ['--' + key.replace('_', '-'), str(value)]
    tool.main(args)
    text = readme.read_text()
    assert text.startswith('intro\n') and text.endswith('tail\n')
    assert 'old' not in text
    full = results['Full method (step 2 + per-sample regulation)'][0]
    row = [line for line in text.splitlines()
           if line.startswith('| Full method')][0]
    assert f"| {full['cloud/accuracy']:.1f} |" in row
    assert osp.getsize(tmp_path / 'contrib.png') > 1000
    curve = system.contributions(STEP2['Step 2, no regulation'])
    assert curve and all(0 <= statistics.mean(v) <= 1
                         for v in curve.values())
