"""The sweep tool (grid, skip, resume) and the results tool (tables, CSV,
README section, sweep plot) on real work dirs of tiny CPU runs."""
import csv
import glob
import importlib.util
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch

from ifkd.engine import launch
from tests.conftest import REPO, config_path, tiny_options


def _tool(name):
    path = osp.join(REPO, 'tools', 'analysis_tools', f'{name}.py')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sweep = _tool('sweep')
collect_results = _tool('collect_results')

STUDENT = 'retinanet/retinanet_mbv2_fpn_1x_synthetic-sar-aircraft.py'


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    # small convs run several times faster on one thread than on two
    # contended ones
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _opts(root, **extra):
    opts = tiny_options(root)
    opts['train_dataloader.dataset.indices'] = 2  # one iteration an epoch
    opts.update(extra)
    return opts


def _cli_options(opts):
    return sweep.format_options(opts)


def test_grid_shorthands_and_commands(tmp_path):
    cfg = config_path('ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_sar-aircraft.py')
    points = sweep.plan(cfg, ['alpha=0.02,0.1', 'beta=0.5'], str(tmp_path))
    assert [p['name'] for p in points] == [
        'alpha-0.02_beta-0.5', 'alpha-0.1_beta-0.5']
    opts = points[0]['cfg_options']
    for i in range(5):
        key = 'model.distiller.distill_losses.loss_{}_fpn%d.loss_weight' % i
        assert opts[key.format('feat')] == 0.02
        assert opts[key.format('head')] == 0.5
    assert len(opts) == 10
    # an interrupted point resumes, a finished one is skipped
    os.makedirs(points[0]['work_dir'])
    open(osp.join(points[0]['work_dir'], 'epoch_3.pth'), 'w').close()
    os.makedirs(points[1]['work_dir'])
    open(osp.join(points[1]['work_dir'], 'epoch_12.pth'), 'w').close()
    points = sweep.plan(cfg, ['alpha=0.02,0.1', 'beta=0.5'], str(tmp_path))
    assert [p['state'] for p in points] == ['resume', 'done']
    cmd = sweep.train_command(cfg, points[0], ['--amp'])
    assert cmd[-1] == '--amp' and '--resume' in cmd
    assert ('model.distiller.distill_losses.loss_feat_fpn4.loss_weight=0.02'
            in cmd)
    with pytest.raises(KeyError, match='loss_feat_fpn'):
        sweep.plan(config_path(STUDENT), ['alpha=0.1'], str(tmp_path))


def test_sweep_skips_finished_and_resumes(synthetic_root, tmp_path, capsys):
    work = str(tmp_path / 'sweep')
    key = 'model.bbox_head.loss_cls.loss_weight'
    base = ['--work-dir', work, '--in-process', '--cfg-options']
    opts = _cli_options(_opts(synthetic_root))
    sweep.main([config_path(STUDENT), '--grid', f'{key}=1.0'] + base + opts)
    done = osp.join(work, 'loss_cls.loss_weight-1.0', 'epoch_1.pth')
    mtime = os.stat(done).st_mtime_ns

    # a grid of 2 points where one is complete: only the other one trains
    points = sweep.main([config_path(STUDENT), '--grid', f'{key}=1.0,0.5'] +
                        base + opts)
    assert [p['state'] for p in points] == ['done', 'new']
    assert os.stat(done).st_mtime_ns == mtime
    assert 'loss_cls.loss_weight-1.0: finished, skipped' in \
        capsys.readouterr().out
    new = osp.join(work, 'loss_cls.loss_weight-0.5')
    assert osp.isfile(osp.join(new, 'epoch_1.pth'))
    log = open(glob.glob(osp.join(new, '*', '*.log'))[0]).read()
    assert 'loss_weight=0.5' in log.replace(' ', '')

    # a longer schedule: the point has checkpoints but not the final one
    opts2 = _cli_options(_opts(synthetic_root, **{'train_cfg.max_epochs': 2}))
    points = sweep.main([config_path(STUDENT), '--grid', f'{key}=0.5'] +
                        base + opts2)
    assert [p['state'] for p in points] == ['resume']
    assert osp.isfile(osp.join(new, 'epoch_2.pth'))
    logs = sorted(glob.glob(osp.join(new, '*', '*.log')))
    assert 'resumed epoch: 1, iter: 1' in open(logs[-1]).read()
    meta = json.load(open(osp.join(work, 'sweep.json')))
    assert meta['points'] == {'loss_cls.loss_weight-0.5': {key: '0.5'}}

    # each point is tested into its own dir; the plot reads those results
    meta['points']['loss_cls.loss_weight-1.0'] = {key: '1.0'}
    json.dump(meta, open(osp.join(work, 'sweep.json'), 'w'))
    tested = {}
    for name, ckpt in (('loss_cls.loss_weight-1.0', 'epoch_1.pth'),
                       ('loss_cls.loss_weight-0.5', 'epoch_2.pth')):
        tested[name] = launch.test(
            config_path(STUDENT), osp.join(work, name, ckpt),
            work_dir=osp.join(work, name),
            cfg_options=tiny_options(synthetic_root))
    png = str(tmp_path / 'sweep.png')
    collect_results.main([work, '--plot', png, '--out',
                          str(tmp_path / 'x.md')])
    assert open(png, 'rb').read(8) == b'\x89PNG\r\n\x1a\n'
    points = collect_results.sweep_points(work)
    # each point carries the metrics its own test run returned, in %
    assert sorted(p['name'] for p in points) == sorted(tested)
    for p in points:
        for col, key in (('mAP', 'coco/bbox_mAP'),
                         ('AP50', 'coco/bbox_mAP_50')):
            assert p[col] == pytest.approx(100 * tested[p['name']][key])


@pytest.fixture(scope='module')
def tested_dirs(synthetic_root, tmp_path_factory):
    """Real test-run work dirs, named as a teacher, a student and two
    distilled students (all evaluate one tiny checkpoint)."""
    root = tmp_path_factory.mktemp('results')
    # trained outside root: its own validation would be collected too
    train_dir = tmp_path_factory.mktemp('train')
    launch.train(config_path(STUDENT), work_dir=str(train_dir),
                 cfg_options=_opts(synthetic_root))
    ckpt = str(train_dir / 'epoch_1.pth')
    names = ['retinanet_r50_fpn_1x_synthetic-sar-aircraft',
             'retinanet_mbv2_fpn_1x_synthetic-sar-aircraft',
             'fgd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft',
             'ifkd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft']
    opts = {**tiny_options(synthetic_root), 'model.test_cfg.score_thr': 0.0}
    for i, name in enumerate(names):
        # the later runs see fewer test images, so the metrics differ
        opts['test_dataloader.dataset.indices'] = 2 - i % 2
        launch.test(config_path(STUDENT), ckpt, work_dir=str(root / name),
                    cfg_options=opts)
    return root, names


def test_tables_match_the_test_jsons(tested_dirs, tmp_path):
    root, names = tested_dirs
    readme = tmp_path / 'README.md'
    readme.write_text('# X\n\n<!-- SYNTHETIC-RESULTS:START -->\nold\n'
                      '<!-- SYNTHETIC-RESULTS:END -->\n\nend\n')
    md, out_csv = tmp_path / 'results.md', tmp_path / 'results.csv'
    rows = collect_results.main([
        str(root), '--out', str(md), '--csv', str(out_csv),
        '--update-readme', str(readme)
    ])
    assert sorted(r['method'] for r in rows) == [
        'fgd', 'ifkd', 'student', 'teacher']

    def metrics(name):
        path = glob.glob(str(root / name / '*' / '*.json'))
        assert len(path) == 1
        return json.load(open(path[0]))

    student = metrics(names[1])
    by_method = {r['method']: r for r in rows}
    for method, name in zip(['teacher', 'student', 'fgd', 'ifkd'], names):
        data = metrics(name)
        row = by_method[method]
        for col, key in collect_results.METRICS.items():
            assert row[col] == pytest.approx(100 * data[key])
            if method in ('fgd', 'ifkd'):
                assert row[f'gain_{col}'] == pytest.approx(
                    100 * (data[key] - student[key]))
            else:
                assert row[f'gain_{col}'] is None
    table = md.read_text()
    assert '### RetinaNet: ResNet50 -> MobileNetV2' in table
    ifkd = by_method['ifkd']
    line = next(ln for ln in table.splitlines()
                if ln.startswith('| IFKD (ours)'))
    assert f'{ifkd["mAP"]:.1f} ({ifkd["gain_mAP"]:+.1f})' in line
    lines = table.splitlines()
    order = [next(i for i, ln in enumerate(lines) if ln.startswith(f'| {m}'))
             for m in ('Teacher', 'Student', 'FGD', 'IFKD')]
    assert order == sorted(order)

    with open(out_csv) as f:
        csv_rows = {r['method']: r for r in csv.DictReader(f)}
    assert float(csv_rows['fgd']['AP50']) == pytest.approx(
        by_method['fgd']['AP50'], abs=1e-3)
    assert csv_rows['teacher']['gain_mAP'] == ''
    text = readme.read_text()
    assert 'old' not in text and line in text and text.endswith('end\n')


def test_metafile_results_set_from_the_rows(tested_dirs, tmp_path):
    import yaml
    root, names = tested_dirs
    src = osp.join(REPO, 'configs', 'ifkd', 'metafile.yml')
    meta = tmp_path / 'metafile.yml'
    shutil.copy(src, meta)
    rows = collect_results.collect([str(root)])
    note = "budget: it's tiny"
    assert collect_results.update_metafile(str(meta), rows, note) == 2
    # twice: idempotent (the generated block is replaced, not appended)
    assert collect_results.update_metafile(str(meta), rows, note) == 2
    before = {m['Name']: m for m in yaml.safe_load(open(src))['Models']}
    after = {m['Name']: m for m in yaml.safe_load(open(meta))['Models']}
    assert before.keys() == after.keys()
    by_method = {r['method']: r for r in rows}
    for method in ('fgd', 'ifkd'):
        name = f'{method}_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft'
        (result, ) = after[name]['Results']
        assert result['Dataset'] == 'Synthetic SAR-AIRcraft'
        row = by_method[method]
        assert result['Metrics'] == {
            'box AP': round(row['mAP'], 1),
            'box AP@0.5': round(row['AP50'], 1),
            'box AP@0.75': round(row['AP75'], 1)
        }
        assert note in result['Source']
    # everything else is untouched
    for name in before:
        if 'r50-mbv2_fpn_1x_synthetic' not in name or not (
                name.startswith(('fgd_', 'ifkd_'))):
            assert before[name] == after[name], name


def test_dir_named_by_its_config_dump_else_skipped(tested_dirs, tmp_path):
    root, names = tested_dirs
    odd = tmp_path / 'my_experiment'
    shutil.copytree(root / names[1], odd)
    # the config tools/test.py dumped into the work dir names it
    rows = collect_results.collect([str(odd)])
    assert [r['method'] for r in rows] == ['student']
    for dump in glob.glob(str(odd / '*.py')):
        os.remove(dump)
    assert collect_results.collect([str(odd)]) == []


def test_synthetic_results_tool_end_to_end(tmp_path, sam_checkpoint):
    """The tool behind the README's synthetic section, at a tiny budget:
    teacher, student and one baseline trained, exported, tested and
    written into copies of the README and the metafile."""
    import yaml
    tool = _tool('synthetic_results')
    readme, meta = tmp_path / 'README.md', tmp_path / 'metafile.yml'
    shutil.copy(osp.join(REPO, 'configs', 'ifkd', 'README.md'), readme)
    shutil.copy(osp.join(REPO, 'configs', 'ifkd', 'metafile.yml'), meta)
    work, data = tmp_path / 'work', tmp_path / 'data'
    argv = [
        '--only', '^fitnet_retinanet', '--work-dir', str(work),
        '--data-root', str(data), '--num-train', '2', '--num-test', '1',
        '--img-size', '64', '--scene-size', '256', '--epochs', '1',
        '--batch-size', '2', '--sam-checkpoint', sam_checkpoint,
        '--update-readme', str(readme), '--update-metafile', str(meta)
    ]
    tool.main(argv)
    names = ['retinanet_r50_fpn_1x_synthetic-sar-aircraft',
             'retinanet_mbv2_fpn_1x_synthetic-sar-aircraft',
             'fitnet_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft']
    assert sorted(os.listdir(work / 'test')) == sorted(names)
    rows = {r['method']: r for r in collect_results.collect([
        str(work / 'test')])}
    assert set(rows) == {'teacher', 'student', 'fitnet'}
    # the distilled student was exported and tested with its own config
    assert (work / names[2] / 'student_epoch_1.pth').is_file()
    text = readme.read_text()
    section = text[text.index(collect_results.README_START):
                   text.index(collect_results.README_END)]
    assert '2 train / 1 test images of 64 px' in section
    fitnet = next(ln for ln in section.splitlines()
                  if ln.startswith('| FitNet'))
    assert f"{rows['fitnet']['mAP']:.1f}" in fitnet
    models = {m['Name']: m for m in yaml.safe_load(open(meta))['Models']}
    assert models[names[2]]['Results'][0]['Metrics']['box AP'] == round(
        rows['fitnet']['mAP'], 1)
    # a second run finds everything done and trains nothing
    mtimes = {p: os.path.getmtime(p)
              for p in glob.glob(str(work / '*' / 'epoch_1.pth'))}
    tool.main(argv)
    assert mtimes == {p: os.path.getmtime(p)
                      for p in glob.glob(str(work / '*' / 'epoch_1.pth'))}


vis = _tool('vis_distill_maps')


def _read_panel(png: np.ndarray, i: int, cell: int) -> np.ndarray:
    """Panel ``i`` of a figure read back through viridis: values in [0, 1]
    on the (cell, cell) grid."""
    from matplotlib import colormaps
    top, left, bottom, right = vis.panel_box(i, cell)
    rgb = png[top:bottom, left:right].reshape(-1, 1, 3).astype(float)
    lut = (colormaps['viridis'](np.linspace(0, 1, 256))[:, :3] * 255).round()
    dist = ((rgb - lut[None]) ** 2).sum(-1)
    assert dist.min(axis=1).max() < 1, 'a pixel is not a viridis colour'
    return dist.argmin(axis=1).reshape(cell, cell) / 255


def test_vis_distill_maps_panels_match_the_tensors(synthetic_root,
                                                   sam_checkpoint, tmp_path):
    from mmengine.registry import DefaultScope
    from PIL import Image

    from ifkd.registry import MODELS
    cfg_path = config_path(
        'ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft.py')
    opts = {'model.distiller.sam_checkpoint': sam_checkpoint,
            'test_dataloader.dataset.pipeline.1.scale': (96, 96)}
    cfg = launch.load_config(cfg_path, cfg_options=opts)
    cfg.model.teacher_ckpt = None
    cfg.model.distiller.pop('sam_cache')
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    for i in range(5):  # a learnt, non-flat filter
        model.distiller.connectors[f't_fdr{i}'].log_w.data.normal_(0, 0.5)
    ckpt = str(tmp_path / 'ifkd.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    image = sorted(glob.glob(osp.join(synthetic_root, 'JPEGImages', '*')))[0]
    out, cell = str(tmp_path / 'vis'), 24
    paths = vis.main([cfg_path, ckpt, image, '--out-dir', out, '--cell',
                      str(cell), '--cfg-options'] +
                     [f'{k}={v}'.replace(' ', '') for k, v in opts.items()])
    assert [osp.basename(p) for p in paths] == [
        f'level{i}.png' for i in range(5)]

    # Independent forwards of the same input: teacher, its cls head, the
    # student and its adapter.
    _, loaded = vis.build_model(cfg_path, ckpt, opts, 'cpu')
    inputs, _ = vis.load_image(cfg, loaded, image)
    assert inputs.shape[-2:] == (96, 96)
    with torch.no_grad():
        t_feats = loaded.teacher.extract_feat(inputs)
        t_cls = loaded.teacher.bbox_head(t_feats)[0]
        s_feats = loaded.student.extract_feat(inputs)
    for level, path in enumerate(paths):
        png = np.asarray(Image.open(path).convert('RGB'))
        assert png.shape == (vis.TITLE_H + cell,
                             len(vis.PANELS) * (cell + vis.GAP) - vis.GAP, 3)
        arrays = np.load(osp.join(out, f'level{level}.npz'))
        h, w = t_feats[level].shape[-2:]
        rows = np.arange(cell) * h // cell
        cols = np.arange(cell) * w // cell
        for i, name in enumerate(vis.PANELS):
            a = arrays[name].astype(float)
            assert a.shape == (h, w), name
            span = a.max() - a.min()
            expected = (a - a.min()) / span if span > 0 else 0 * a
            # 8-bit levels; neighbouring viridis entries can share a colour
            np.testing.assert_allclose(
                _read_panel(png, i, cell), expected[rows][:, cols],
                atol=1.5 / 255, err_msg=name)
        np.testing.assert_allclose(
            arrays['teacher_energy'],
            t_feats[level].pow(2).mean(1)[0].numpy(), rtol=1e-5)
        np.testing.assert_allclose(
            arrays['m_frs'], t_cls[level].amax(1)[0].sigmoid().numpy(),
            rtol=1e-5)
        conv = loaded.distiller.connectors[f's_adapt{level}'].conv_module.conv
        adapted = torch.nn.functional.conv2d(
            s_feats[level], conv.weight.detach(), conv.bias.detach(),
            padding=1)
        np.testing.assert_allclose(
            arrays['student_energy'], adapted.pow(2).mean(1)[0].numpy(),
            rtol=1e-4)
        # After W minus before W is what the filter does: 2 log W.
        log_w = torch.nn.functional.interpolate(
            loaded.distiller.connectors[f't_fdr{level}'].log_w[None].detach(),
            size=(h, w), mode='bilinear', antialias=True)[0]
        np.testing.assert_allclose(
            arrays['spectrum_after_w'] - arrays['spectrum_before_w'],
            2 * log_w.mean(0).numpy(), atol=1e-3)
        np.testing.assert_allclose(arrays['m_hsm'].mean(), 1, rtol=1e-5)
        assert (arrays['ede_perturbation'] > 0).all()  # sigmoid, weight 1
