"""ifkd.ClassActivationMaskConnector against a numpy reference, and fed by
mmrazor recorders (feature + fc Parameter) inside IFKDDistiller, chained
into FDR as its mask."""
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from torch import nn

import ifkd  # noqa: F401
from ifkd.models.connectors import FDRConnector
from ifkd.models.distillers import DistillContext, IFKDDistiller
from ifkd.registry import MODELS


def _connector(mode):
    return MODELS.build(
        dict(type='ifkd.ClassActivationMaskConnector', mode=mode))


def _numpy_masks(feat, w, b):
    """Reference: per-location scores, the image's logits from the pooled
    feature (the classifier's own path), softmax max and normalised CAM."""
    scores = np.einsum('bchw,kc->bkhw', feat, w) + b[None, :, None, None]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    max_prob = (e / e.sum(axis=1, keepdims=True)).max(axis=1)[:, None]
    logits = feat.mean(axis=(2, 3)) @ w.T + b
    cams = []
    for i, k in enumerate(logits.argmax(axis=1)):
        cam = scores[i, k]
        cams.append((cam - cam.min()) / (cam.max() - cam.min()))
    return max_prob, np.stack(cams)[:, None]


def test_against_numpy():
    rng = np.random.default_rng(0)
    feat = rng.normal(size=(3, 6, 5, 4)).astype(np.float32)
    w = rng.normal(size=(4, 6)).astype(np.float32)
    b = rng.normal(size=4).astype(np.float32)
    ref_prob, ref_cam = _numpy_masks(feat, w, b)
    args = [torch.from_numpy(x) for x in (feat, w, b)]
    prob = _connector('max_prob')(*args)
    cam = _connector('cam')(*args)
    assert prob.shape == cam.shape == (3, 1, 5, 4)
    np.testing.assert_allclose(prob.numpy(), ref_prob, atol=1e-5)
    np.testing.assert_allclose(cam.numpy(), ref_cam, atol=1e-5)
    assert prob.min() >= 1 / 4 and cam.min() == 0 and cam.amax(
        dim=(2, 3)).eq(1).all()
    # no bias: max_prob changes, the normalised CAM does not
    prob0 = _connector('max_prob')(*args[:2])
    ref_prob0, _ = _numpy_masks(feat, w, np.zeros(4, np.float32))
    np.testing.assert_allclose(prob0.numpy(), ref_prob0, atol=1e-5)
    assert torch.allclose(_connector('cam')(*args[:2]), cam, atol=1e-5)


def test_cam_follows_the_predicted_class_and_is_detached():
    # channel 0 lights up top-left, channel 1 bottom-right; class k reads
    # channel k. The image is predicted as the class with more energy.
    feat = torch.zeros(2, 2, 4, 4)
    feat[0, 0, 0, 0] = 5.0
    feat[0, 1, 3, 3] = 1.0
    feat[1, 0, 0, 0] = 1.0
    feat[1, 1, 3, 3] = 5.0
    w = torch.eye(2, requires_grad=True)
    cam = _connector('cam')(feat.requires_grad_(), w)
    assert cam[0, 0, 0, 0] == 1 and cam[0, 0].sum() == 1
    assert cam[1, 0, 3, 3] == 1 and cam[1, 0].sum() == 1
    assert not cam.requires_grad
    # a flat map carries no location: the neutral all-ones mask
    flat = _connector('cam')(torch.ones(1, 2, 3, 3), torch.eye(2))
    assert flat.eq(1).all()


def test_bad_inputs_fail_with_the_fix():
    with pytest.raises(ValueError, match='mode must be one of'):
        _connector('frs')
    with pytest.raises(ValueError, match="'head.fc.weight'"):
        _connector('cam')(torch.randn(1, 8, 2, 2), torch.randn(3, 4))
    with pytest.raises(ValueError, match='needs fc_weight'):
        _connector('cam')(torch.randn(1, 8, 2, 2))


class _Capture(nn.Module):
    """Test loss: keeps its inputs, returns a scalar."""

    def forward(self, t_feat, mask):
        self.seen = (t_feat, mask)
        return t_feat.sum() * 0


def test_through_ifkd_distiller_with_parameter_recorders():
    torch.manual_seed(0)
    teacher = PRETRAIN_MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ifkd.ShipCNN', channels=(4, 8)),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=8)))
    teacher.init_weights()
    teacher.eval()
    mask_spec = dict(
        recorder='feat', from_student=False, data_idx=0, connector='t_mask',
        connector_kwargs=dict(
            fc_weight=dict(recorder='fc_w', from_student=False),
            fc_bias=dict(recorder='fc_b', from_student=False)))
    distiller = IFKDDistiller(
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone'),
            fc_w=dict(type='Parameter', source='head.fc.weight'),
            fc_b=dict(type='Parameter', source='head.fc.bias')),
        connectors=dict(
            t_mask=dict(type='ifkd.ClassActivationMaskConnector',
                        mode='cam'),
            fdr=dict(type='ifkd.FDRConnector', in_channels=8,
                     filter_size=(8, 8), ratio=0.5)),
        distill_losses=dict(loss_probe=dict(type='ifkd._CaptureMask')),
        loss_forward_mappings=dict(
            loss_probe=dict(
                t_feat=dict(recorder='feat', from_student=False, data_idx=0,
                            connector='fdr',
                            connector_kwargs=dict(frs_mask=mask_spec)),
                mask=mask_spec)))
    distiller.prepare_from_teacher(teacher)
    x = torch.randn(2, 1, 32, 32)
    with distiller.teacher_recorders:
        logits = teacher(x, mode='tensor')
    distiller.set_context(DistillContext(x))
    distiller.compute_distill_losses()
    t_feat, mask = distiller.distill_losses['loss_probe'].seen
    feat = teacher.backbone(x)[0].detach()
    w, b = teacher.head.fc.weight, teacher.head.fc.bias
    _, ref_cam = _numpy_masks(feat.numpy(), w.detach().numpy(),
                              b.detach().numpy())
    np.testing.assert_allclose(mask.numpy(), ref_cam, atol=1e-5)
    # the image's predicted class is the classifier's own prediction
    per_image = (feat.mean(dim=(2, 3)) @ w.T + b).argmax(dim=1)
    assert per_image.tolist() == logits.argmax(dim=1).tolist()
    fdr = distiller.connectors['fdr']
    assert isinstance(fdr, FDRConnector)
    assert torch.allclose(t_feat, fdr(feat, frs_mask=mask), atol=1e-6)
    assert not torch.allclose(t_feat, fdr(feat, frs_mask=None), atol=1e-3)


MODELS.register_module(name='_CaptureMask', module=_Capture, force=True)
