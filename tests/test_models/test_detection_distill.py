"""DetectionDistill: the frozen teacher runs feature + head forward only, and
gradients reach the student and the distillation connectors, never the
teacher or MobileSAM."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import ifkd  # noqa: F401,I001  (mmcv's ops stand-in before mmdet loads)
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config

from ifkd.models.algorithms.checks import check_compatible
from ifkd.registry import MODELS
from tests.conftest import config_path
from ._numpy_ref import sigmoid
from .test_fdr import reference_fdr
from .test_hsm import _reference_mask


def _algorithm(rel_cfg, sam_checkpoint):
    cfg = Config.fromfile(config_path(rel_cfg))
    cfg.model.teacher_ckpt = None
    cfg.model.distiller.sam_checkpoint = sam_checkpoint
    cfg.model.distiller.pop('sam_cache', None)
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


def _record(module, store):
    """Keep every output of ``module`` (a head conv runs once per level)."""
    return module.register_forward_hook(
        lambda m, args, out: store.append(out))


@pytest.mark.parametrize('rel_cfg, cls_name', [
    ('ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft.py',
     'bbox_head.retina_cls'),
    ('ifkd/ifkd_faster-rcnn_r50-r18_fpn_1x_synthetic-sar-aircraft.py',
     'rpn_head.rpn_cls'),
])
def test_one_level_loss_equals_hand_built_chain(rel_cfg, cls_name,
                                                sam_checkpoint):
    """FRS -> EDE -> FDR -> HSM -> Eq. 12/13 by hand (numpy / geoopt
    references) for one FPN level equals the distiller's logged losses:
    a wrong recorder, record_idx, data_idx or connector wiring would not."""
    torch.manual_seed(0)
    model = _algorithm(rel_cfg, sam_checkpoint)
    model.train()
    level, alpha, beta = 2, 0.06, 0.5
    for fdr in (model.distiller.connectors[f't_fdr{i}'] for i in range(5)):
        fdr.ratio = 0.6  # a fixed window, and a non-trivial filter
        with torch.no_grad():
            fdr.log_w.normal_(0, 0.3)
    packed = demo_mm_inputs(2, [[3, 96, 128], [3, 128, 96]], num_items=[2, 3],
                            num_classes=7)
    data = model.data_preprocessor(packed, True)
    seen = {k: [] for k in ('t_neck', 's_neck', 't_cls', 's_cls', 'sam')}
    hooks = [
        _record(model.teacher.neck, seen['t_neck']),
        _record(model.student.neck, seen['s_neck']),
        _record(model.teacher.get_submodule(cls_name), seen['t_cls']),
        _record(model.student.get_submodule(cls_name), seen['s_cls']),
    ]
    sam_prob = model.distiller._sam_prob
    model.distiller._sam_prob = lambda *a: seen['sam'].append(
        sam_prob(*a)) or seen['sam'][-1]
    losses = model.loss(data['inputs'], data['data_samples'])
    for h in hooks:
        h.remove()
    assert len(seen['sam']) == 1, 'MobileSAM must run once per step'

    t_feat = seen['t_neck'][0][level].detach().double()
    s_feat = seen['s_neck'][0][level].detach()
    t_logit = seen['t_cls'][level].detach().double().numpy()
    s_logit = seen['s_cls'][level].detach().double().numpy()
    b, c, h, w = t_feat.shape
    # FRS: max class probability over the level's (anchor, class) channels.
    frs = sigmoid(t_logit).max(axis=1, keepdims=True)
    # EDE: SAM's embedding (valid part) resized onto the level's valid part.
    prob, sam_hw = seen['sam'][0]
    pad_h, pad_w = data['inputs'].shape[-2:]
    ede = t_feat.clone()
    for i, sample in enumerate(data['data_samples']):
        ih, iw = sample.metainfo['img_shape'][:2]
        eh, ew = (math.ceil(x * 64 / 1024) for x in sam_hw[i])
        fh, fw = math.ceil(ih * h / pad_h), math.ceil(iw * w / pad_w)
        ede[i, :, :fh, :fw] += F.interpolate(
            prob[i:i + 1, :, :eh, :ew].double(), size=(fh, fw),
            mode='bilinear', align_corners=False)[0]
    # FDR with its filter resized to the level (antialiased).
    log_w = F.interpolate(
        model.distiller.connectors[f't_fdr{level}'].log_w.detach()[None]
        .double(), size=(h, w), mode='bilinear', align_corners=False,
        antialias=True)[0]
    target = reference_fdr(ede.numpy(), frs, 0.6, log_w.numpy())
    # The student's 3x3 adapter, then HSM on (target, adapted student).
    adapter = model.distiller.connectors[f's_adapt{level}'].conv_module.conv
    student = F.conv2d(s_feat, adapter.weight, adapter.bias, padding=1)
    student = student.detach().double()
    mask = _reference_mask(torch.from_numpy(target), student, 1.0,
                           None).numpy()
    feat = alpha * (mask * (student.numpy() - target)**2).sum() / mask.sum()
    p_t = sigmoid(t_logit)
    bce = -(p_t * np.log(sigmoid(s_logit)) +
            (1 - p_t) * np.log(1 - sigmoid(s_logit)))
    head = beta * (mask * bce).sum() / mask.sum()

    logged = {k: v.item() for k, v in losses.items()
              if k.startswith('distill')}
    assert logged[f'distill.loss_feat_fpn{level}'] == pytest.approx(
        feat, rel=2e-3)
    assert logged[f'distill.loss_head_fpn{level}'] == pytest.approx(
        head, rel=2e-3)
    # Control: the neighbouring levels' losses are different numbers.
    for other in (level - 1, level + 1):
        assert logged[f'distill.loss_feat_fpn{other}'] != pytest.approx(
            feat, rel=0.05)
    # The monitoring scalars are logged next to the losses.
    assert logged[f'distill.hsm.mask_std{level}'] == pytest.approx(
        mask.reshape(b, -1).std(axis=1, ddof=1).mean(), rel=2e-3)
    fdr_w = model.distiller.connectors[f't_fdr{level}'].log_w
    assert logged[f'distill.t_fdr{level}.logw_std'] == pytest.approx(
        fdr_w.std().item(), rel=1e-5)
    assert model.distiller.context is None  # cleared after the step
