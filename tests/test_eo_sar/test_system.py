"""The EO -> SAR system end to end at a tiny budget (the demo once per
session): the table against an independent re-evaluation, the head-only
fine-tune, the inference tool and its errors, the multi-seed README tool."""
import csv
import json
import os.path as osp
import shutil
import sys

import numpy as np
import pytest
import torch

from tests.conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))

TINY = dict(num_train=30, test_tracks=1, epochs=1, teacher_epochs=1,
            finetune_epochs=1, batch_size=8)
STUDENT_CFG = 'configs/eo_sar_cls/resnet18-w8_1xb32_synthetic-sar.py'


def tiny_argv(work_dir, data_root, seeds=(0, )):
    argv = ['--work-dir', work_dir, '--data-root', data_root]
    for key, value in TINY.items():
        argv += [f'--{key.replace("_", "-")}', str(value)]
    return argv + ['--seeds', *map(str, seeds)]


@pytest.fixture(scope='module')
def system(tmp_path_factory):
    """``tools/run_demo.py --system eo-sar`` once, on a 30-pair set."""
    from ifkd.engine.systems import demo_main
    root = tmp_path_factory.mktemp('eo-sar-system')
    work, data = str(root / 'work'), str(root / 'data')
    table = demo_main('eo-sar', tiny_argv(work, data))
    return work, data, table


def stage(work, name, seed=0):
    from ifkd.engine.systems import eo_sar
    return osp.join(work, getattr(eo_sar, name), f'seed{seed}')


def by_hand(ckpt, data_root):
    """Labels, gt and max-softmax of the 16 test-time views computed here
    with numpy / torch (not mmcv's TestTimeAug): rotations, flips, 1.25x
    bilinear resize, mean softmax."""
    import cv2
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    from ifkd.datasets.eo_sar_classes import EO_SAR_CLASSES
    cfg = Config.fromfile(STUDENT_CFG)
    model = MODELS.build(cfg.model)
    model.load_state_dict(torch.load(ckpt)['state_dict'])
    model.eval()
    labels = {}
    with open(osp.join(data_root, 'test_labels.csv')) as f:
        for row in list(csv.reader(f))[1:]:
            labels[int(row[0])] = EO_SAR_CLASSES.index(row[1])
    ids = [i for i in sorted(labels)]
    imgs = [cv2.imread(osp.join(data_root, 'test', f'SAR_{i}.png'),
                       cv2.IMREAD_GRAYSCALE) for i in ids]
    probs = 0
    for scale in (1.0, 1.25):
        for flip in (False, True):
            for k in range(4):
                views = []
                for img in imgs:
                    if scale != 1.0:
                        h, w = img.shape
                        img = cv2.resize(img, (int(w * scale + .5),
                                               int(h * scale + .5)),
                                         interpolation=cv2.INTER_LINEAR)
                    if flip:
                        img = img[:, ::-1]
                    views.append(np.rot90(img, k).copy())
                x = torch.from_numpy(np.stack(views)).float()[:, None]
                x = (x - 43.5) / 27.2
                with torch.no_grad():
                    probs = probs + model(x, mode='tensor').softmax(-1)
    probs = probs / 16
    return probs.argmax(1).numpy(), np.array([labels[i] for i in ids])


def test_table_rows_and_tta_accuracy_by_hand(system):
    work, data, table = system
    rows = [line.split('|')[1].strip() for line in table.splitlines()[2:]]
    from ifkd.engine.systems.eo_sar import ROWS
    assert rows == ['EO teacher (EO chips)'] + list(ROWS)
    with open(osp.join(work, 'results.md')) as f:
        assert f.read().strip() == table
    ft = stage(work, 'FINETUNE')
    pred, gt = by_hand(osp.join(ft, 'epoch_1.pth'), data)
    with open(osp.join(ft, 'metrics.json')) as f:
        metrics = json.load(f)
    assert metrics['+ TTA (and 1.25x scale)']['accuracy'] == pytest.approx(
        100 * (pred == gt).mean(), abs=1e-6)


def test_plain_inference_equals_the_runner_test(system):
    """View 0 of the inference tool is what tools/test.py evaluates."""
    from ifkd.engine.launch import test
    work, data, _ = system
    ckpt = osp.join(stage(work, 'STUDENT'), 'epoch_1.pth')
    metrics = test(STUDENT_CFG, ckpt, osp.join(work, 'runner_test'),
                   cfg_options={'test_dataloader.dataset.data_root': data})
    with open(osp.join(stage(work, 'STUDENT'), 'metrics.json')) as f:
        ours = json.load(f)['SAR student alone']
    assert metrics['ood/accuracy'] == pytest.approx(ours['accuracy'])
    assert metrics['ood/auroc/max_softmax'] == pytest.approx(
        ours['auroc/max_softmax'], abs=1e-4)


@pytest.mark.parametrize('start, tuned', [
    (('KD', 'student_epoch_1.pth'), 'FINETUNE'),
    (('STUDENT', 'epoch_1.pth'), 'FINETUNE_ALONE'),
])
def test_head_fine_tune_changes_only_the_head(system, start, tuned):
    work, _, _ = system
    before = torch.load(osp.join(stage(work, start[0]),
                                 start[1]))['state_dict']
    after = torch.load(osp.join(stage(work, tuned),
                                'epoch_1.pth'))['state_dict']
    assert set(before) == set(after)
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed == {'head.fc.weight', 'head.fc.bias'}


def test_inference_tool_writes_the_submission(system, tmp_path):
    import eo_sar_inference
    work, data, _ = system
    ckpt = osp.join(stage(work, 'FINETUNE'), 'epoch_1.pth')
    out = str(tmp_path / 'sub.csv')
    metrics = eo_sar_inference.main([
        STUDENT_CFG, ckpt, '--out', out, '--data-root', data, '--vote',
        'id-gap', '--scales', '1.0'
    ])
    with open(out) as f:
        rows = list(csv.reader(f))
    with open(osp.join(data, 'test', 'ids.txt')) as f:
        ids = [line.strip() for line in f]
    assert rows[0] == ['id', 'class', 'score']
    assert [r[0] for r in rows[1:]] == ids
    assert {int(r[1]) for r in rows[1:]} <= set(range(10))
    assert 0 <= metrics['auroc/energy'] <= 100
    # blind: predictions only
    assert eo_sar_inference.main([
        STUDENT_CFG, ckpt, '--out', out, '--data-root', data, '--blind',
        '--no-tta'
    ]) == {}


def test_inference_errors(system, tmp_path):
    from ifkd.engine.inference import predict
    work, data, _ = system
    kd = osp.join(stage(work, 'KD'), 'epoch_1.pth')
    with pytest.raises(ValueError, match='export_student'):
        predict(STUDENT_CFG, kd, dataset=dict(data_root=data))
    with pytest.raises(FileNotFoundError, match='not found'):
        predict(STUDENT_CFG, str(tmp_path / 'none.pth'))
    kd_cfg = ('configs/eo_sar_cls/kd_resnet18-w8-eo_resnet18-w8-sar_1xb32_'
              'synthetic-eo-sar.py')
    with pytest.raises(ValueError, match="student's own config"):
        predict(kd_cfg, kd)
    # a checkpoint of another class count
    state = torch.load(osp.join(stage(work, 'STUDENT'), 'epoch_1.pth'))
    fc = state['state_dict']
    fc['head.fc.weight'], fc['head.fc.bias'] = (fc['head.fc.weight'][:3],
                                                fc['head.fc.bias'][:3])
    bad = str(tmp_path / 'three.pth')
    torch.save(state, bad)
    with pytest.raises(ValueError, match='num_classes'):
        predict(STUDENT_CFG, bad, dataset=dict(data_root=data))


def test_results_tool_adds_a_seed_and_writes_the_readme(system, tmp_path):
    import eo_sar_results
    work, data, _ = system
    readme = tmp_path / 'README.md'
    readme.write_text(f'x\n{eo_sar_results.BEGIN}\nstale table\n'
                      f'{eo_sar_results.END}\ny\n')
    eo_sar_results.main(tiny_argv(work, data, seeds=(0, 1)) +
                        ['--docs', str(readme)])
    text = readme.read_text()
    assert 'stale table' not in text and text.startswith('x\n')
    assert text.endswith('y\n')
    with open(osp.join(work, 'results.json')) as f:
        results = json.load(f)['results']
    student = [r['accuracy'] for r in results['SAR student alone']]
    assert len(student) == 2
    from ifkd.engine.systems.sar_ship import mean_std
    assert f'| SAR student alone | 2 | {mean_std(student)} |' in text


def test_seed_code_loss_trains_jointly_on_its_alpha_schedule(system):
    """The InfoNCE + sorted-MSE config: the EO model's weights move away
    from the teacher checkpoint, and the loss weights follow the hook."""
    from ifkd.engine.launch import train
    from ifkd.engine.systems import eo_sar
    work, data, _ = system
    teacher = osp.join(work, eo_sar.TEACHER, 'epoch_1.pth')
    options = eo_sar.stage_options(data, eo_sar.EOSARBudget(batch_size=8),
                                   2, 0, 0.05)
    options.update({
        'model.teacher_ckpt': teacher,
        'custom_hooks': [
            dict(type='ifkd.DistillLossWeightHook',
                 schedule=dict(loss_nce={0: 0.8, 1: 0.5},
                               loss_sorted_mse={0: 0.2, 1: 0.5}))
        ]
    })
    runner = train(eo_sar.config_path(eo_sar.NCE), osp.join(work, 'nce'),
                   cfg_options=options)
    losses = runner.model.distiller.distill_losses
    assert losses['loss_nce'].loss_weight == 0.5
    assert losses['loss_sorted_mse'].loss_weight == 0.5
    scalars = runner.message_hub.log_scalars
    assert 'train/teacher.loss' in scalars
    before = torch.load(teacher)['state_dict']['backbone.conv1.weight']
    after = runner.model.teacher.backbone.conv1.weight.detach()
    assert not torch.equal(before, after)
