"""DetectionDistill: the frozen teacher runs feature + head forward only, and
gradients reach the student and the distillation connectors, never the
teacher or MobileSAM."""
import pytest
import torch
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config

from ifkd.models.algorithms.checks import check_compatible
from ifkd.registry import MODELS
from tests.conftest import config_path


def _algorithm(rel_cfg, sam_checkpoint):
    cfg = Config.fromfile(config_path(rel_cfg))
    cfg.model.teacher_ckpt = None
    cfg.model.distiller.sam_checkpoint = sam_checkpoint
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(cfg.model)


@pytest.mark.parametrize('rel_cfg', [
    'ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft.py',
    'ifkd/ifkd_faster-rcnn_r50-r18_fpn_1x_synthetic-sar-aircraft.py',
])
def test_gradients_reach_student_and_connectors_only(rel_cfg, sam_checkpoint):
    torch.manual_seed(0)
    model = _algorithm(rel_cfg, sam_checkpoint)
    model.train()
    assert not model.teacher.training
    packed = demo_mm_inputs(2, [[3, 96, 128], [3, 128, 96]], num_items=[2, 3],
                            num_classes=7)
    data = model.data_preprocessor(packed, True)

    calls = []
    head = model.teacher.rpn_head if hasattr(
        model.teacher, 'rpn_head') else model.teacher.bbox_head
    head.loss = lambda *a, **k: calls.append('teacher loss')
    losses = model.loss(data['inputs'], data['data_samples'])
    assert not calls, 'the teacher computed its detection loss'
    total = sum(v for k, v in losses.items() if 'loss' in k and
                torch.is_tensor(v))
    total.backward()

    named = dict(model.named_parameters())
    assert all(p.grad is None for n, p in named.items()
               if n.startswith('teacher.'))
    sam = model.distiller._sam.model
    assert all(p.grad is None and not p.requires_grad
               for p in sam.parameters())
    for level in range(5):
        assert named[f'distiller.connectors.t_fdr{level}.log_w'].grad.abs(
        ).sum() > 0
        assert named[f'distiller.connectors.s_adapt{level}.conv_module.'
                     'conv.weight'].grad.abs().sum() > 0
    student_grads = [p.grad for n, p in named.items()
                     if n.startswith('architecture.neck')]
    assert student_grads and all(g is not None for g in student_grads)
    # BN of the frozen teacher stays in eval mode after .train()
    assert all(not m.training for m in model.teacher.modules())


def test_check_compatible_names_the_mismatch(sam_checkpoint):
    cfg_s = Config.fromfile(config_path(
        'retinanet/retinanet_r18_fpn_1x_synthetic-sar-aircraft.py')).model
    cfg_t = cfg_s.copy()
    cfg_t.bbox_head = dict(cfg_t.bbox_head, num_classes=3)
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet'):
        student, teacher = MODELS.build(cfg_s), MODELS.build(cfg_t)
    with pytest.raises(ValueError, match='teacher predicts 3.*student 7'):
        check_compatible(teacher, student)
