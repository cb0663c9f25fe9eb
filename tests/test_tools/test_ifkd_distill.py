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

    # the learnable filters and adapters are trained and saved ...
    for level in range(5):
        log_w = state1[f'distiller.connectors.t_fdr{level}.log_w']
        assert log_w.abs().sum() > 0, 'FDR filter was not trained'
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
    assert not torch.equal(state1['distiller.connectors.t_fdr0.log_w'],
                           state2['distiller.connectors.t_fdr0.log_w'])

    exported = str(tmp_path / 'student.pth')
    out = export_student(osp.join(work, 'epoch_2.pth'), exported)
    assert set(out['state_dict']) == {
        k[len('architecture.'):]
        for k in state2 if k.startswith('architecture.')
    }
    metrics = launch.test(
        config_path(student_cfg), exported, work_dir=str(tmp_path / 'test'),
        cfg_options={**tiny_options(synthetic_root), **keep_all})
    assert 0.0 <= metrics['coco/bbox_mAP_50'] <= 1.0


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
