"""scSE fusion, the DisOptNet student's branch and the stage split of the
backbones it supports."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from ifkd.models.segmentors import SCSEModule, last_stages
from ifkd.models.segmentors.disoptnet import backbone_stages
from ifkd.registry import MODELS

STUDENT = ('configs/disoptnet_seg/'
           'disoptnet-student_r18-slim-d8_1xb8-64px_synthetic-spacenet6-sar.py')


def test_scse_is_x_cse_plus_x_sse():
    torch.manual_seed(0)
    m = SCSEModule(32, reduction=16)
    x = torch.randn(2, 32, 5, 5)
    conv1, conv2 = m.cse[1], m.cse[3]
    pooled = x.mean(dim=(2, 3))
    cse = torch.sigmoid(conv2.weight[..., 0, 0] @ torch.relu(
        conv1.weight[..., 0, 0] @ pooled.T + conv1.bias[:, None])
        + conv2.bias[:, None]).T[..., None, None]
    sse = torch.sigmoid(torch.einsum('c,bchw->bhw', m.sse[0].weight[0, :, 0,
                                                                     0], x)
                        + m.sse[0].bias)[:, None]
    torch.testing.assert_close(m(x), x * cse + x * sse)


@pytest.fixture(scope='module')
def student():
    init_default_scope('mmseg')
    model = MODELS.build(Config.fromfile(STUDENT).model)
    model.init_weights()
    return model.eval()


def test_branch_has_its_own_weights(student):
    """The branch re-runs layer3/layer4 as copies: changing them changes
    the distillation logits but not the SAR head's."""
    ids = {id(p) for p in student.backbone.parameters()}
    assert not ids & {id(p) for p in student.branch.parameters()}
    assert type(student.branch[0]) is type(student.backbone.layer3)
    x = torch.randn(2, 4, 32, 32)
    with torch.no_grad():
        sar, opt, fused = student.heads(x)
        for p in student.branch.parameters():
            p.add_(0.5)
        sar2, opt2, fused2 = student.heads(x)
    torch.testing.assert_close(sar, sar2)
    assert not torch.allclose(opt, opt2)
    assert not torch.allclose(fused, fused2)
    # The branch taps layer2 (1/8) and matches the teacher's stage shapes.
    feats = student.extract_feat(x)
    branch = student.branch_features(feats)
    assert [f.shape for f in branch] == [f.shape for f in feats]
    # predict / tensor use the fused head.
    with torch.no_grad():
        torch.testing.assert_close(student(x, mode='tensor'), fused2)


def test_timm_efficientnet_stages_rebuild_features():
    """The stage split of a timm EfficientNet (the real-data encoder)
    reproduces its feature maps when run in order."""
    from mmseg.models.backbones import TIMMBackbone
    bb = TIMMBackbone('efficientnet_b0', pretrained=False, in_channels=4,
                      out_indices=(1, 2, 3, 4), output_stride=16).eval()
    x = torch.randn(1, 4, 64, 64)
    with torch.no_grad():
        feats = bb(x)
        m = bb.timm_model
        h = m.bn1(m.conv_stem(x))
        outs = []
        for stage in backbone_stages(bb):
            h = stage(h)
            outs.append(h)
    assert len(outs) == len(feats) == 4
    for a, b in zip(outs, feats):
        torch.testing.assert_close(a, b)
    assert len(last_stages(bb, 2)) == 2
