"""The baselines' losses and GT masks against hand-computed values."""
import math

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

import ifkd  # noqa: F401  (applies the compat patches first)
from ifkd.models.distillers.context import DistillContext
from ifkd.models.losses.fgd_loss import fgd_attention
from ifkd.registry import MODELS

# 1 x 2 x 1 x 2 student / teacher: element errors (1, 0 | 2, 3); per
# location summed over channels: (5, 9); elements in order (1,2,3,4) and
# (0,2,1,1).
S = [[[[1.0, 2.0]], [[3.0, 4.0]]]]
T = [[[[0.0, 2.0]], [[1.0, 1.0]]]]


def _st():
    return torch.tensor(S, requires_grad=True), torch.tensor(T)


def _context(boxes, input_hw):
    sample = DetDataSample(metainfo=dict(img_shape=input_hw))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor(boxes, dtype=torch.float32).view(-1, 4),
        labels=torch.zeros(len(boxes), dtype=torch.long))
    return DistillContext(torch.zeros(1, 3, *input_hw), [sample])


def test_fitnet_is_l2loss_without_normalisation():
    s, t = _st()
    fitnet = MODELS.build(
        dict(type='mmrazor.L2Loss', normalize=False, div_element=True))
    assert fitnet(s, t).item() == pytest.approx(14 / 4)
    # the default (normalize=True) compares unit-norm samples: 2 - 2 cos
    default = MODELS.build(dict(type='mmrazor.L2Loss'))
    assert default(s, t).item() == pytest.approx(2 - 2 * 11 / math.sqrt(180))


def test_at_loss():
    s, t = _st()
    # Q = mean_c F^2 per location, L2-normalised: S (5, 10), T (0.5, 2.5)
    q_s = torch.tensor([1, 2]) / math.sqrt(5)
    q_t = torch.tensor([1, 5]) / math.sqrt(26)
    loss = MODELS.build(dict(type='mmrazor.ATLoss', loss_weight=500.))(s, t)
    assert loss.item() == pytest.approx(500 * (q_s - q_t).pow(2).mean())


def _identity_(conv):
    with torch.no_grad():
        conv.weight.zero_()
        k = conv.weight.shape[-1] // 2
        for c in range(min(conv.weight.shape[:2])):
            conv.weight[c, c, k, k] = 1
        conv.bias.zero_()


def test_fkd_connectors_and_loss():
    cfg = dict(in_channels=2, reduction=1, mode='dot_product')
    s_conn = MODELS.build(dict(type='mmrazor.FBKDStudentConnector', **cfg))
    t_conn = MODELS.build(dict(type='mmrazor.FBKDTeacherConnector', **cfg))
    s_conn.init_weights()
    t_conn.init_weights()  # non-local blocks start as the identity
    for conv in (s_conn.adaptation_layers, s_conn.spatial_wise_adaptation,
                 s_conn.non_local_adaptation):
        _identity_(conv)
    with torch.no_grad():
        s_conn.channel_wise_adaptation.weight.copy_(torch.eye(2))
        s_conn.channel_wise_adaptation.bias.zero_()
    t = torch.ones(1, 2, 2, 2)
    s = 2 * torch.ones(1, 2, 2, 2)  # uniform: all attention masks are 1
    loss = MODELS.build(dict(type='mmrazor.FBKDLoss'))(s_conn(s), t_conn(t))
    expected = (7e-5 * math.sqrt(8)  # masked feature L2
                + 4e-3 * math.sqrt(2)  # channel pooling
                + 4e-3 * 2  # spatial pooling
                + 7e-5 * math.sqrt(8))  # non-local relation
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_frs_reuses_masked_ifkd_losses():
    s, t = _st()
    logits = torch.tensor([[[[0.0, 2.0]], [[-1.0, 0.0]]]])
    mask = MODELS.build(dict(type='ifkd.FRSMaskConnector'))(logits)
    sig2 = 1 / (1 + math.exp(-2))
    torch.testing.assert_close(mask, torch.tensor([[[[0.5, sig2]]]]))
    loss = MODELS.build(dict(type='ifkd.IFKDFeatLoss', loss_weight=0.005))(
        s, t, mask)
    assert loss.item() == pytest.approx(0.005 * (0.5 * 5 + sig2 * 9) /
                                        (0.5 + sig2))


def test_fgd_masks():
    # 16 x 16 input, a 4 x 4 level (stride 4): box A covers cells
    # x 0-1, y 0-1 (area 4), box B only cell (1, 1); B's 1 wins there
    ctx = _context([[0, 0, 8, 8], [4.5, 4.5, 7.5, 7.5]], (16, 16))
    fg, bg = MODELS.build(dict(type='ifkd.FGDMaskConnector'))(
        torch.zeros(1, 2, 4, 4), context=ctx)
    expected = torch.zeros(4, 4)
    expected[:2, :2] = 0.25
    expected[1, 1] = 1.0
    torch.testing.assert_close(fg[0, 0], expected)
    torch.testing.assert_close(bg[0, 0], (expected == 0).float() / 12)


def test_fgd_attention_temperature():
    feat = torch.tensor([[[[1.0, -3.0]]]])  # C = 1, |F| = (1, 3), T = 0.5
    spatial, channel = fgd_attention(feat, temp=0.5)
    e2, e6 = math.exp(2), math.exp(6)
    torch.testing.assert_close(
        spatial.flatten(), 2 * torch.tensor([e2, e6]) / (e2 + e6))
    torch.testing.assert_close(channel.flatten(), torch.ones(1))


def test_fgd_loss():
    # teacher all ones, student zeros: both attentions uniform (1), every
    # element costs 1; fg = 1 at one cell, bg = 1/3 on three
    loss_fn = MODELS.build(
        dict(type='ifkd.FGDLoss', in_channels=2, alpha=1e-3, beta=5e-4,
             gamma=5e-4, lambda_=5e-6))
    t = torch.ones(1, 2, 2, 2)
    s = torch.zeros(1, 2, 2, 2, requires_grad=True)
    fg = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
    bg = (fg == 0).float() / 3
    loss = loss_fn(s, t, (fg, bg))
    # fg 2 ch x 1, bg 2 ch x 3 x 1/3, attention 0, global (GcBlocks start as
    # identity) 8 elements x 1
    assert loss.item() == pytest.approx(1e-3 * 2 + 5e-4 * 2 + 5e-6 * 8)
    loss.backward()
    assert s.grad is not None
    assert all(p.grad is not None for p in loss_fn.gc_s.parameters())


def test_arsd_masks_pick_one_level_by_size():
    # 64 x 64 input; 16 px box -> level floor(4 + log2(1/4)) = 2, 4 px box
    # -> level 0; area weights 1 + exp(-2 * side / 64)
    ctx = _context([[0, 0, 16, 16], [32, 32, 36, 36]], (64, 64))
    lvl0 = MODELS.build(dict(type='ifkd.ARSDMaskConnector', level=0))(
        torch.zeros(1, 1, 8, 8), context=ctx)
    lvl2 = MODELS.build(dict(type='ifkd.ARSDMaskConnector', level=2))(
        torch.zeros(1, 1, 2, 2), context=ctx)
    lvl1 = MODELS.build(dict(type='ifkd.ARSDMaskConnector', level=1))(
        torch.zeros(1, 1, 4, 4), context=ctx)
    assert lvl0.sum().item() == pytest.approx(1 + math.exp(-0.125))
    assert lvl0[0, 0, 4, 4].item() == pytest.approx(1 + math.exp(-0.125))
    assert lvl2.sum().item() == pytest.approx(1 + math.exp(-0.5))
    assert lvl2[0, 0, 0, 0].item() == pytest.approx(1 + math.exp(-0.5))
    assert lvl1.sum().item() == 0


def test_arsd_loss():
    s, t = _st()
    mask = torch.tensor([[[[0.5, 2.0]]]])
    loss = MODELS.build(dict(type='ifkd.ARSDLoss', loss_weight=0.01))(
        s, t, mask)
    assert loss.item() == pytest.approx(0.01 * (0.5 * 5 + 2 * 9) / (2 * 2))
    empty = MODELS.build(dict(type='ifkd.ARSDLoss'))(s, t, 0 * mask)
    assert empty.item() == 0


def test_insdist_mask_follows_the_instance():
    # locations (y, x): (0,0) = (0,1) = [1, 0], (1,0) = [0, 1],
    # (1,1) = [.2, .2]; the box covers (0,0): prototype [1, 0], similarity
    # (1, 1, 0, .2) -> mask (1, 1, 0, 0)
    feat = torch.tensor([[[[1.0, 1.0], [0.0, 0.2]], [[0.0, 0.0], [1.0, 0.2]]]])
    ctx = _context([[0, 0, 8, 8]], (16, 16))
    mask, regions = MODELS.build(dict(type='ifkd.InsDistMaskConnector'))(
        feat, context=ctx)
    torch.testing.assert_close(mask, torch.tensor([[[[1.0, 1.0], [0, 0]]]]))
    assert regions.tolist() == [[0, 0, 0, 1, 1]]


def test_insdist_loss():
    s, t = _st()
    mask = torch.tensor([[[[1.0, 0.0]]]])
    regions = torch.tensor([[0, 0, 0, 1, 1], [0, 1, 0, 2, 1]])
    loss = MODELS.build(
        dict(type='ifkd.InsDistLoss', weight_fg=1e-3, weight_bg=1e-4,
             weight_rel=1.0))(s, t, (mask, regions))
    # instances: S (1, 3), (2, 4); T (0, 1), (2, 1)
    cos_s = 14 / math.sqrt(200)
    cos_t = 1 / math.sqrt(5)
    rel = 2 * (cos_s - cos_t)**2 / 4
    assert loss.item() == pytest.approx(1e-3 * math.sqrt(5) + 1e-4 * 3 + rel,
                                        rel=1e-5)
    loss.backward()
    assert s.grad.abs().sum() > 0


def _ssrd():
    # One 16 px square anchor per cell of a 16 px-stride grid; the anchor of
    # cell (y=1, x=1) is centred on (16, 16) and equals the GT box.
    return MODELS.build(
        dict(
            type='ifkd.SSRDSelectorConnector',
            anchor_generator=dict(
                type='AnchorGenerator', strides=[16], ratios=[1.0],
                scales=[1], base_sizes=[16]),
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                target_stds=[1.0] * 4)))


def _two_image_context():
    samples = []
    for _ in range(2):
        sample = DetDataSample(metainfo=dict(img_shape=(64, 64)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[8.0, 8.0, 24.0, 24.0]]),
            labels=torch.zeros(1, dtype=torch.long))
        samples.append(sample)
    return DistillContext(torch.zeros(2, 3, 64, 64), samples)


def test_ssrd_selects_only_where_the_teacher_regresses_better():
    s = torch.zeros(2, 4, 4, 4, requires_grad=True)
    t = torch.zeros(2, 4, 4, 4)
    with torch.no_grad():
        s[0, 0, 1, 1] = 0.5  # image 0: the student's box is shifted
        t[1, 2, 1, 1] = 0.3  # image 1: the teacher's box is too wide
        s[:, :, 3, 3] = 1.0  # a negative anchor: never selected
    s_sel, t_sel = _ssrd()([s], [t], context=_two_image_context())
    torch.testing.assert_close(s_sel, torch.tensor([[0.5, 0.0, 0.0, 0.0]]))
    torch.testing.assert_close(t_sel, torch.zeros(1, 4))
    assert not t_sel.requires_grad
    loss = MODELS.build(dict(type='mmdet.L1Loss', loss_weight=1.0))(
        s_sel, t_sel)
    assert loss.item() == pytest.approx(0.5 / 4)
    loss.backward()
    expected = torch.zeros_like(s)
    expected[0, 0, 1, 1] = 1 / 4
    torch.testing.assert_close(s.grad, expected)


def test_ssrd_nothing_selected_and_bad_channels():
    s = torch.zeros(2, 4, 4, 4, requires_grad=True)
    s_sel, t_sel = _ssrd()([s], [s.detach()], context=_two_image_context())
    assert s_sel.shape == t_sel.shape == (0, 4)
    loss = MODELS.build(dict(type='mmdet.L1Loss'))(s_sel, t_sel)
    assert loss.item() == 0
    loss.backward()  # an empty selection still backpropagates (zeros)
    with pytest.raises(ValueError, match='anchors per location'):
        _ssrd()([torch.zeros(2, 12, 4, 4)], [torch.zeros(2, 12, 4, 4)],
                context=_two_image_context())
