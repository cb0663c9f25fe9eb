"""The SAR ship system end to end at a tiny budget: the one command, the
export of distilled students to plain checkpoints tested by the stock
test entry point, and the multi-seed evidence tool. The system runs once
per session (``tiny_system``); other test files reuse its teacher."""
import atexit
import json
import os.path as osp
import shutil
import statistics
import sys
import tempfile

import numpy as np
import pytest
import torch

from tests.conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))

TINY = dict(num_images=30, img_size=32, epochs=1, teacher_epochs=1,
            batch_size=8)
_CACHE = {}


def tiny_argv(work_dir, data_root, seeds=(0, )):
    argv = ['--work-dir', work_dir, '--data-root', data_root]
    for key, value in TINY.items():
        argv += [f'--{key.replace("_", "-")}', str(value)]
    return argv + ['--seeds', *map(str, seeds)]


def tiny_system():
    """Run the demo (``tools/run_demo.py --system sar-ship``) once per
    session on a 30-chip set; returns (work_dir, data_root, table)."""
    if 'system' not in _CACHE:
        root = tempfile.mkdtemp(prefix='ifkd_sar_ship_')
        atexit.register(shutil.rmtree, root, True)
        work, data = osp.join(root, 'work'), osp.join(root, 'data')
        from ifkd.engine.systems.sar_ship import demo_main
        table = demo_main(tiny_argv(work, data))
        _CACHE['system'] = (work, data, table)
    return _CACHE['system']


def read_split(data_root):
    from ifkd.datasets.ship_classes import SHIP_CLASSES
    with open(osp.join(data_root, 'splits', 'test.txt')) as f:
        rows = [line.split() for line in f if line.strip()]
    return [(osp.join(data_root, p), SHIP_CLASSES.index(c)) for p, c in rows]


def predict_by_hand(ckpt, data_root):
    """Labels the exported student predicts for the test split, with the
    image loading and normalisation written out here (not mmpretrain's
    pipeline)."""
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    from PIL import Image
    cfg = Config.fromfile(
        'configs/sar_ship_cls/shipcnn_1xb32_synthetic-sar-ship.py')
    model = MODELS.build(cfg.model)
    state = torch.load(ckpt, map_location='cpu')['state_dict']
    model.load_state_dict(state)
    model.eval()
    mean = torch.tensor(cfg.data_preprocessor.mean).view(1, 3, 1, 1)
    std = torch.tensor(cfg.data_preprocessor.std).view(1, 3, 1, 1)
    samples = read_split(data_root)
    imgs = [np.asarray(Image.open(p).convert('L'), np.float32)
            for p, _ in samples]
    x = torch.from_numpy(np.stack(imgs))[:, None].repeat(1, 3, 1, 1)
    with torch.no_grad():
        logits = model((x - mean) / std, mode='tensor')
    return logits.argmax(1).numpy(), np.array([y for _, y in samples])


def test_demo_table_matches_an_independent_evaluation():
    from sklearn.metrics import accuracy_score, f1_score
    work, data, table = tiny_system()
    rows = [line for line in table.splitlines()[2:]]
    assert [r.split('|')[1].strip() for r in rows] == [
        'Teacher ResNet50', 'Student ShipCNN', 'ShipCNN + KD',
        'ShipCNN + IFKD feature', 'ShipCNN + KD + IFKD feature'
    ]
    with open(osp.join(work, 'results.md')) as f:
        assert f.read().strip() == table
    # KD's student, exported to a plain checkpoint, re-evaluated by hand
    kd = osp.join(work, 'kd_resnet50-shipcnn_1xb32_synthetic-sar-ship',
                  'seed0')
    pred, gt = predict_by_hand(osp.join(kd, 'student_epoch_1.pth'), data)
    acc = 100 * accuracy_score(gt, pred)
    wf1 = 100 * f1_score(gt, pred, average='weighted', labels=[0, 1, 2],
                         zero_division=0)
    with open(osp.join(kd, 'test_metrics.json')) as f:
        metrics = json.load(f)
    assert metrics['cls/accuracy'] == pytest.approx(acc, abs=1e-3)
    assert metrics['cls/weighted_f1'] == pytest.approx(wf1, abs=1e-3)
    with open(osp.join(work, 'shipcnn_1xb32_synthetic-sar-ship', 'seed0',
                           'test_metrics.json')) as f:
        student = json.load(f)['cls/accuracy']
    assert rows[1].split('|')[3].strip() == f'{student:.1f}'
    assert rows[2].split('|')[3].strip() == \
        f'{acc:.1f} ({acc - student:+.1f})'


def test_exported_student_is_the_distilled_student():
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    work, _, _ = tiny_system()
    stage = osp.join(work, 'kd-ifkd_resnet50-shipcnn_1xb32_synthetic-sar-ship',
                     'seed0')
    init_default_scope('mmpretrain')
    cfg = Config.fromfile('configs/sar_ship_cls/'
                          'kd-ifkd_resnet50-shipcnn_1xb32_synthetic-sar-ship'
                          '.py')
    cfg.model.teacher_ckpt = None
    distill = MODELS.build(cfg.model)
    distill.load_state_dict(
        torch.load(osp.join(stage, 'epoch_1.pth'))['state_dict'])
    plain = MODELS.build(
        Config.fromfile('configs/sar_ship_cls/'
                        'shipcnn_1xb32_synthetic-sar-ship.py').model)
    exported = torch.load(osp.join(stage, 'student_epoch_1.pth'))
    # only the student: no teacher, adapter or FDR filter weights
    assert set(exported['state_dict']) == set(plain.state_dict())
    plain.load_state_dict(exported['state_dict'])
    x = torch.randn(4, 3, 32, 32)
    distill.eval(), plain.eval()
    with torch.no_grad():
        assert torch.equal(distill.student(x, mode='tensor'),
                           plain(x, mode='tensor'))


def test_evidence_tool_writes_the_generated_table(tmp_path):
    import sar_ship_results
    from ifkd.engine.systems.sar_ship import METHODS
    work, data, _ = tiny_system()
    docs = []
    for name in ('README.md', 'cfg_README.md'):
        path = tmp_path / name
        path.write_text('# head\n\n' + sar_ship_results.BEGIN + '\nold\n' +
                        sar_ship_results.END + '\n\ntail\n')
        docs.append(str(path))
    # seed 0 comes from the demo's run (same budget, same work dir)
    block = sar_ship_results.main(
        tiny_argv(work, data, seeds=(0, 1)) + ['--docs', *docs])
    for path in docs:
        text = open(path).read()
        assert text.startswith('# head\n\n' + block)
        assert text.endswith('\n\ntail\n') and 'old' not in text
    for row, name in METHODS.items():
        accs = []
        for seed in (0, 1):
            with open(osp.join(work, name, f'seed{seed}',
                               'test_metrics.json')) as f:
                accs.append(json.load(f)['cls/accuracy'])
        cell = f'{statistics.mean(accs):.1f} ± {np.std(accs, ddof=1):.1f}'
        assert f'| 2 | {cell}' in block, (row, cell)
    assert 'student seeds 0, 1' in block
    assert '30 synthetic chips' in block and '32 px' in block
    # the sentence under the table is generated from the same numbers
    assert 'the student alone' in block
    # a second run reuses every stage: the block reports the wall time of
    # both runs, not the seconds of the collecting one
    with open(osp.join(work, 'tool_wall_time.json')) as f:
        first = json.load(f)
    assert first['runs'] == 1
    threads = torch.get_num_threads()
    assert (f"Wall time of the tool: {first['seconds'] / 60:.1f} min; torch "
            f'threads: {threads};') in block
    again = sar_ship_results.main(
        tiny_argv(work, data, seeds=(0, 1)) + ['--docs'])
    with open(osp.join(work, 'tool_wall_time.json')) as f:
        both = json.load(f)
    assert both['runs'] == 2 and both['seconds'] > first['seconds']
    assert both['threads'] == [threads, threads]
    assert (f"Wall time of the tool: {both['seconds'] / 60:.1f} min, summed "
            'over the 2 runs') in again
    assert again.split('| Model')[1].split('Mean')[0] == \
        block.split('| Model')[1].split('Mean')[0]  # the same table
    # --marker writes another named block and leaves the default one alone
    begin, end = sar_ship_results.markers('sar-ship-results-big')
    two = tmp_path / 'two.md'
    two.write_text(f'{sar_ship_results.BEGIN}\nkeep\n{sar_ship_results.END}'
                   f'\n{begin}\nold\n{end}\n')
    third = sar_ship_results.main(
        tiny_argv(work, data, seeds=(0, 1)) +
        ['--marker', 'sar-ship-results-big', '--docs', str(two)])
    assert third.startswith(begin + '\n') and third.endswith(end)
    assert two.read_text() == (f'{sar_ship_results.BEGIN}\nkeep\n'
                               f'{sar_ship_results.END}\n{third}\n')


def test_run_demo_dispatches_to_the_ship_system(capsys):
    import runpy
    argv = sys.argv
    sys.argv = ['run_demo.py', '--system', 'sar-ship', '--help']
    try:
        with pytest.raises(SystemExit) as exc:
            runpy.run_path(osp.join(REPO, 'tools', 'run_demo.py'),
                           run_name='__main__')
    finally:
        sys.argv = argv
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert '--teacher-epochs' in out and '--detector' not in out


def test_a_work_dir_of_another_budget_is_refused(tmp_path):
    from ifkd.engine.systems.sar_ship import ShipBudget, ShipSystem
    work, data, _ = tiny_system()
    system = ShipSystem(work, data, ShipBudget(**{**TINY, 'epochs': 2}))
    with pytest.raises(RuntimeError, match=r'another budget \(epochs 1 -> '
                       r'2\)'):
        system.prepare()
    # other data settings would replace the set the results came from
    other = ShipSystem(work, data, ShipBudget(**{**TINY, 'num_images': 40}))
    with pytest.raises(RuntimeError, match='holds results made from it'):
        other.prepare()
