"""The DisOptNet system end to end on a tiny synthetic set (trained once
for the module): stage 1 and stage 2 through the functions behind
tools/train.py / tools/test.py, export, test on SAR only; then the
student's predictions are shown not to depend on the optical channels."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from ifkd.engine.systems.disoptnet import (METHODS, METRICS, TEACHER,
                                           DisOptNetSystem, SegBudget,
                                           config_path, results_table)
from ifkd.registry import MODELS


@pytest.fixture(scope='module')
def system(tmp_path_factory):
    root = tmp_path_factory.mktemp('disoptnet')
    budget = SegBudget(num_tiles=12, iters=3, teacher_iters=4,
                       batch_size=4, teacher_batch_size=4)
    sys = DisOptNetSystem(str(root / 'work'), str(root / 'data'), budget,
                          seeds=(0, ))
    results = sys.run()
    return sys, results


def test_every_row_trains_and_tests(system):
    sys, results = system
    assert list(results) == ['Teacher', *METHODS]
    for row, runs in results.items():
        assert len(runs) == 1
        for key in METRICS.values():
            assert 0 <= runs[0][key] <= 100, (row, key)
    table = results_table(results)
    assert table.count('\n') == 1 + len(results)
    # The IFKD row trained FDR's filters (they start at 0).
    ckpt = torch.load(osp.join(
        sys.stage_dir(METHODS['DisOptNet + IFKD'], 0), 'iter_3.pth'),
        map_location='cpu', weights_only=False)['state_dict']
    log_w = [v for k, v in ckpt.items() if k.endswith('log_w')]
    assert len(log_w) == 3 and all(w.abs().max() > 0 for w in log_w)
    # A finished stage is reused, not retrained.
    assert sys.train_stage(TEACHER) == sys.teacher_ckpt()


def test_student_ignores_optical_channels(system):
    """Stage 2's model predicts from SAR only: poisoned or missing
    optical channels leave the student's output unchanged, while the
    teacher's changes."""
    sys, _ = system
    init_default_scope('mmseg')
    name = METHODS['DisOptNet']
    cfg = Config.fromfile(config_path(name))
    cfg.model.teacher_ckpt = sys.teacher_ckpt()
    model = MODELS.build(cfg.model)
    load_checkpoint(model, osp.join(sys.stage_dir(name, 0), 'iter_3.pth'),
                    map_location='cpu')
    model.eval()
    torch.manual_seed(0)
    sar = torch.rand(2, 4, 64, 64) * 255
    optical = torch.rand(2, 4, 64, 64) * 255
    poison = torch.full_like(optical, 255.) - optical

    def run(batch_inputs, what='student'):
        data = model.data_preprocessor(dict(inputs=batch_inputs), False)
        with torch.no_grad():
            if what == 'teacher':
                return model.teacher(data['inputs']['optical'],
                                     mode='tensor')
            return model(data['inputs'], mode='tensor')

    clean = run(dict(sar=sar, optical=optical))
    torch.testing.assert_close(run(dict(sar=sar, optical=poison)), clean,
                               rtol=0, atol=0)
    torch.testing.assert_close(run(dict(sar=sar)), clean, rtol=0, atol=0)
    assert not torch.allclose(run(dict(sar=sar, optical=optical), 'teacher'),
                              run(dict(sar=sar, optical=poison), 'teacher'))
    with pytest.raises(KeyError, match='missing'):
        run(dict(optical=optical))


def test_results_tool_writes_the_table_of_the_work_dir(system, tmp_path):
    """disoptnet_results.py on the trained work dir: every stage is reused
    and the README block holds the same table and the tool's wall time."""
    from tools.analysis_tools import disoptnet_results as tool
    sys, results = system
    readme = tmp_path / 'README.md'
    readme.write_text(f'a\n{tool.BEGIN}\nold\n{tool.END}\nb\n')
    b = sys.budget
    block = tool.main([
        '--work-dir', sys.work_dir, '--data-root', sys.data_root,
        '--num-tiles', str(b.num_tiles), '--iters', str(b.iters),
        '--teacher-iters', str(b.teacher_iters), '--batch-size',
        str(b.batch_size), '--teacher-batch-size',
        str(b.teacher_batch_size), '--seeds', '0', '--docs', str(readme)])
    text = readme.read_text()
    assert text == f'a\n{block}\nb\n' and 'old' not in text
    assert results_table(results) in block
    assert 'Wall time of the tool: ' in block and '12 synthetic tiles' in block
