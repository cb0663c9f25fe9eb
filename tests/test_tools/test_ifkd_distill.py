"""IFKD distillation end to end on CPU through the standard entry points:
both detectors train a few iterations, checkpoint (filters and adapters
included, MobileSAM excluded), resume, export the student and evaluate it."""
import glob
import os.path as osp

import pytest
import torch

from ifkd.engine import launch
from ifkd.engine.export import export_student
from tests.conftest import config_path, tiny_options

PAIRS = {
    'retinanet': ('retinanet/retinanet_r50_fpn_1x_synthetic-sar-aircraft.py',
                  'retinanet/retinanet_mbv2_fpn_1x_synthetic-sar-aircraft.py',
                  'ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft'
                  '.py', {'model.test_cfg.score_thr': 0.0}),
    'faster_rcnn': (
        'faster_rcnn/faster-rcnn_r50_fpn_1x_synthetic-sar-aircraft.py',
        'faster_rcnn/faster-rcnn_r18_fpn_1x_synthetic-sar-aircraft.py',
        'ifkd/ifkd_faster-rcnn_r50-r18_fpn_1x_synthetic-sar-aircraft.py',
        {'model.test_cfg.rcnn.score_thr': 0.0}),
}


@pytest.fixture(scope='module')
def teachers(synthetic_root, tmp_path_factory):
    out = {}
    for det, (teacher_cfg, *_rest) in PAIRS.items():
        work = str(tmp_path_factory.mktemp(f'teacher_{det}'))
        launch.train(config_path(teacher_cfg), work_dir=work,
                     cfg_options=tiny_options(synthetic_root))
        out[det] = osp.join(work, 'epoch_1.pth')
    return out


def _distill_options(root, teacher_ckpt, sam, epochs=1):
    return {
        **tiny_options(root, epochs),
        'model.teacher_ckpt': teacher_ckpt,
        'model.distiller.sam_checkpoint': sam,
        # per-test cache next to the data, never inside the repository
        'model.distiller.sam_cache.dir': osp.join(root, 'sam_cache'),
    }


@pytest.mark.parametrize('det', sorted(PAIRS))
def test_ifkd_train_resume_export_evaluate(det, synthetic_root, teachers,
                                           sam_checkpoint, tmp_path):
    _, student_cfg, ifkd_cfg, keep_all = PAIRS[det]
    work = str(tmp_path / 'ifkd')
    opts = _distill_options(synthetic_root, teachers[det], sam_checkpoint)
    runner = launch.train(config_path(ifkd_cfg), work_dir=work,
                          cfg_options=opts)
    ckpt1 = torch.load(osp.join(work, 'epoch_1.pth'))
    state1 = ckpt1['state_dict']

    # the learnable filters and adapters are saved ...
    for level in range(5):
        assert f'distiller.connectors.t_fdr{level}.log_w' in state1
        assert (f'distiller.connectors.s_adapt{level}.conv_module.conv.weight'
                in state1)
    # ... while MobileSAM and the frozen teacher's loss are not in the file
    assert not [k for k in state1 if 'image_encoder' in k]
    teacher_src = torch.load(teachers[det])['state_dict']
    for k, v in teacher_src.items():
        assert torch.equal(state1['teacher.' + k], v), 'teacher changed'
    # the optimizer state (momentum) of exactly the trainable parameters,
    # connectors included, is saved for resuming
    names = [n for n, _ in runner.model.named_parameters()]
    trainable = {n for n, p in runner.model.named_parameters()
                 if p.requires_grad}
    saved = {names[i] for i in ckpt1['optimizer']['state']}
    # MobileNetV2's last conv is computed but unused by the FPN: no grad
    assert saved <= trainable
    assert all('backbone.conv2.' in n for n in trainable - saved)
    for level in range(5):
        assert f'distiller.connectors.t_fdr{level}.log_w' in saved
    assert 'distiller.connectors.t_fdr0.log_w' in saved
    assert not [n for n in saved if n.startswith('teacher.')]

    runner = launch.train(
        config_path(ifkd_cfg), work_dir=work, resume='auto',
        cfg_options=_distill_options(synthetic_root, teachers[det],
                                     sam_checkpoint, epochs=2))
    assert runner.iter == 4
    log = open(sorted(glob.glob(osp.join(work, '*', '*.log')))[-1]).read()
    assert 'resumed epoch: 1, iter: 2' in log
    for key in ('distill.loss_feat_fpn0', 'distill.loss_head_fpn4',
                'student.loss'):
        assert key in log
    state2 = torch.load(osp.join(work, 'epoch_2.pth'))['state_dict']
    _check_filter_learns_like_the_adapters(state1, state2, log, det)

    exported = str(tmp_path / 'student.pth')
    out = export_student(osp.join(work, 'epoch_2.pth'), exported)
    assert set(out['state_dict']) == {
        k[len('architecture.'):]
        for k in state2 if k.startswith('architecture.')
    }
    metrics = launch.test(
        config_path(student_cfg), exported, work_dir=str(tmp_path / 'test'),
        cfg_options={**tiny_options(synthetic_root), **keep_all})
    # The exported student scores exactly what the distilled model's
    # student scores when tested through the IFKD config.
    keep_all_distill = {f'model.architecture.{k[len("model."):]}': v
                        for k, v in keep_all.items()}
    distilled = launch.test(
        config_path(ifkd_cfg), osp.join(work, 'epoch_2.pth'),
        work_dir=str(tmp_path / 'test_distill'),
        cfg_options={**opts, **keep_all_distill})
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75'):
        assert metrics[key] == distilled[key], key


def _relative_change(before, after):
    return ((after - before).norm() / before.norm()).item()


def _check_filter_learns_like_the_adapters(state1, state2, log, det):
    """Over two steps of the production optimiser (the configs' SGD with
    FDR's param group and unit-norm log_w gradients), log_w moves by at
    most 2 steps x lr x lr_mult x 1 / (1 - momentum) in L2 norm, and W =
    exp(log_w) changes, relative to its size, by 0.01x-100x what the 3x3
    adapters do (measured 0.2-2.5x; at lr_mult 1 on the raw gradient it
    was ~1e-6x, at lr_mult 10 on the unit-norm one ~0.005x)."""
    cfg = launch.load_config(config_path(PAIRS[det][2]))
    lr = cfg.optim_wrapper.optimizer.lr
    mult = cfg.optim_wrapper.paramwise_cfg.custom_keys['.log_w'].lr_mult
    levels = range(4) if det == 'retinanet' else range(5)  # P7 is 1 x 1
    for level in levels:
        key = f'distiller.connectors.t_fdr{level}.log_w'
        step = (state2[key] - state1[key]).norm().item()
        assert 1e-4 * lr * mult < step <= 2 * lr * mult / (1 - 0.9), step
        w_rel = _relative_change(state1[key].exp(), state2[key].exp())
        adapt = (f'distiller.connectors.s_adapt{level}.conv_module.conv.'
                 'weight')
        a_rel = _relative_change(state1[adapt], state2[adapt])
        assert 0.01 * a_rel < w_rel < 100 * a_rel, (level, w_rel, a_rel)
    # The spread of W and of the HSM mask is in the training log.
    for key in ('distill.t_fdr0.logw_std', 'distill.t_fdr3.logw_range',
                'distill.hsm.mask_std0'):
        assert key + ': ' in log, key
    stds = [float(line.split('distill.hsm.mask_std0: ')[1].split()[0])
            for line in log.splitlines() if 'distill.hsm.mask_std0: ' in line]
    assert stds and min(stds) > 0.01, stds


def test_metric_on_constructed_predictions(synthetic_root):
    """The evaluator the configs use gives the mAP one can work out by hand:
    1 for the GT boxes, 0 for boxes beside them, and 3/10 (AP50 1, AP75 0)
    for boxes of IoU 0.62, which pass the IoU thresholds 0.5, 0.55, 0.6."""
    from mmengine.registry import DefaultScope
    from mmdet.registry import DATASETS, METRICS
    cfg = launch.load_config(config_path(PAIRS['retinanet'][1]),
                             cfg_options=tiny_options(synthetic_root))
    with DefaultScope.overwrite_default_scope('mmdet'):
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
    expected = {'gt': (1.0, 1.0, 1.0), 'beside': (0.0, 0.0, 0.0),
                'iou62': (0.3, 1.0, 0.0)}
    for how, (m, m50, m75) in expected.items():
        with DefaultScope.overwrite_default_scope('mmdet'):
            metric = METRICS.build(cfg.test_evaluator)
        metric.dataset_meta = dataset.metainfo
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            boxes = torch.tensor([x['bbox'] for x in info['instances']],
                                 dtype=torch.float32).reshape(-1, 4)
            if how == 'beside':
                boxes[:, [0, 2]] += (boxes[:, 2] - boxes[:, 0] + 1)[:, None]
            if how == 'iou62':  # same top edge, 62 % of the height
                boxes[:, 3] = boxes[:, 1] + 0.62 * (boxes[:, 3] - boxes[:, 1])
            metric.process({}, [dict(
                img_id=info['img_id'], ori_shape=(info['height'],
                                                  info['width']),
                pred_instances=dict(
                    bboxes=boxes, scores=torch.ones(len(boxes)),
                    labels=torch.tensor([x['bbox_label']
                                         for x in info['instances']])))])
        got = metric.evaluate(len(dataset))
        assert got['coco/bbox_mAP'] == pytest.approx(m, abs=1e-3), how
        assert got['coco/bbox_mAP_50'] == pytest.approx(m50, abs=1e-3), how
        assert got['coco/bbox_mAP_75'] == pytest.approx(m75, abs=1e-3), how


def test_missing_sam_checkpoint_fails_early(synthetic_root, teachers,
                                            tmp_path):
    opts = _distill_options(synthetic_root, teachers['retinanet'],
                            str(tmp_path / 'nope' / 'mobile_sam.pt'))
    with pytest.raises(FileNotFoundError,
                       match='sam_checkpoint.*weights/mobile_sam.pt'):
        launch.train(config_path(PAIRS['retinanet'][2]),
                     work_dir=str(tmp_path), cfg_options=opts)


def test_teacher_num_classes_mismatch_fails_early(synthetic_root, teachers,
                                                  sam_checkpoint, tmp_path):
    opts = _distill_options(synthetic_root, teachers['retinanet'],
                            sam_checkpoint)
    opts['model.teacher.cfg_options'] = {'bbox_head.num_classes': 3}
    with pytest.raises(ValueError, match='teacher predicts 3 classes'):
        launch.train(config_path(PAIRS['retinanet'][2]),
                     work_dir=str(tmp_path), cfg_options=opts)


def test_missing_teacher_checkpoint_fails_early(synthetic_root,
                                                sam_checkpoint, tmp_path):
    opts = _distill_options(synthetic_root, str(tmp_path / 'none.pth'),
                            sam_checkpoint)
    with pytest.raises(FileNotFoundError, match='teacher_ckpt'):
        launch.train(config_path(PAIRS['retinanet'][2]),
                     work_dir=str(tmp_path), cfg_options=opts)
