"""Hook-based Grad-CAM: equal to the hand-computed CAM of a conv-GAP-linear
model, peaked on the object for a classifier trained to find a bright
blob, default layers per architecture, and the per-class overlay tool."""
import csv
import importlib.util
import os.path as osp
import warnings

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from torch import nn

import ifkd  # noqa: F401
from ifkd.engine.grad_cam import GradCAM, default_target_layer, overlay_cam
from tests.conftest import REPO

SIZE = 48
MEAN, STD = 60.0, 40.0


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    # small convs run many times faster on one thread than on two
    # contended ones
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _tool():
    path = osp.join(REPO, 'tools', 'analysis_tools', 'grad_cam.py')
    spec = importlib.util.spec_from_file_location('grad_cam_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _conv_np(x, w, b):
    """'same' 3x3 convolution (cross-correlation) by loops."""
    k, h, wd = w.shape[0], x.shape[0], x.shape[1]
    pad = np.pad(x, 1)
    out = np.zeros((k, h, wd))
    for c in range(k):
        for i in range(h):
            for j in range(wd):
                out[c, i, j] = (pad[i:i + 3, j:j + 3] * w[c, 0]).sum() + b[c]
    return out


def test_equals_hand_computed_cam_of_conv_gap_linear():
    # For y_c = sum_k W_ck mean(A_k) + b_c, dy_c/dA_k = W_ck / (H W), so
    # Grad-CAM is ReLU(sum_k W_ck A_k) / (H W): the ReLU'd CAM.
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(3, 2)).eval()
    with torch.no_grad():
        model[4].weight.copy_(torch.tensor([[1.0, -0.5, 0.3],
                                            [-0.4, 0.8, 0.6]]))
    x = torch.randn(1, 1, 6, 7)
    act = np.maximum(
        _conv_np(x[0, 0].numpy(), model[0].weight.detach().numpy(),
                 model[0].bias.detach().numpy()), 0)
    weights = model[4].weight.detach().numpy()
    cam_tool = GradCAM(model, target_layer='1')
    for target in (0, 1):
        cam = np.maximum(np.tensordot(weights[target], act, axes=1), 0)
        assert cam.max() > cam.min()
        cam = (cam - cam.min()) / (cam.max() - cam.min())
        maps, logits = cam_tool(x, [target])
        np.testing.assert_allclose(maps[0].numpy(), cam, atol=1e-5)
    assert torch.allclose(logits, model(x))
    # no target: the predicted class
    maps, logits = cam_tool(x)
    again, _ = cam_tool(x, [int(logits.argmax())])
    assert torch.equal(maps, again)


def test_smaller_map_is_upsampled_bilinearly():
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 2)).eval()
    with torch.no_grad():
        model[5].weight.copy_(torch.tensor([[1.0, -0.3], [0.2, 1.0]]))
    x = torch.randn(1, 1, 8, 8)
    act = model[:3](x).detach()
    raw = F.relu((model[5].weight[0][:, None, None] * act[0]).sum(0))
    up = F.interpolate(raw[None, None], size=(8, 8), mode='bilinear',
                       align_corners=False)[0, 0].detach()
    assert up.max() > up.min()
    up = (up - up.min()) / (up.max() - up.min())
    maps, _ = GradCAM(model, target_layer='2')(x, [0])
    assert torch.allclose(maps[0], up, atol=1e-5)


def _blob_image(rng, center=None):
    """Speckled sea (uint8), with a bright 5 px blob at ``center``."""
    img = rng.exponential(MEAN, size=(SIZE, SIZE))
    if center is not None:
        yy, xx = np.mgrid[:SIZE, :SIZE]
        d2 = (yy - center[0])**2 + (xx - center[1])**2
        img = img + 200 * np.exp(-d2 / (2 * 2.5**2))
    return np.clip(img, 0, 255).astype(np.uint8)


def _to_input(images):
    x = torch.from_numpy(np.stack(images)).float()[:, None]
    return (x - MEAN) / STD


def _ship_classifier():
    return PRETRAIN_MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ifkd.ShipCNN', channels=(8, 16, 16)),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=2, in_channels=16)))


@pytest.fixture(scope='module')
def blob_model():
    """ShipCNN classifier trained (60 Adam steps) on sea (0) vs sea with a
    blob anywhere (1)."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = _ship_classifier()
    model.init_weights()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(60):
        labels = rng.integers(0, 2, 16)
        images = [
            _blob_image(rng, rng.integers(6, SIZE - 6, 2) if y else None)
            for y in labels
        ]
        loss = F.cross_entropy(
            model(_to_input(images), mode='tensor'), torch.from_numpy(labels))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def test_peaks_on_the_object(blob_model):
    rng = np.random.default_rng(123)
    cam = GradCAM(blob_model)
    assert cam.target_layer == 'backbone.stages.2'
    centers = [(10, 12), (36, 30), (24, 40), (40, 8)]
    images = [_blob_image(rng, c) for c in centers]
    maps, logits = cam(_to_input(images), [1] * len(centers))
    assert logits.argmax(dim=1).tolist() == [1] * len(centers)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    for m, (cy, cx) in zip(maps.numpy(), centers):
        py, px = np.unravel_index(m.argmax(), m.shape)
        assert abs(py - cy) <= 6 and abs(px - cx) <= 6, ((py, px), (cy, cx))
        near = (yy - cy)**2 + (xx - cx)**2 <= 6**2
        assert m[near].mean() > 3 * m[~near].mean()


def test_default_target_layers_per_architecture():
    vgg = PRETRAIN_MODELS.build(
        dict(type='ImageClassifier', backbone=dict(type='VGG', depth=11),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=3,
                       in_channels=512)))
    name = default_target_layer(vgg)
    convs = [n for n, m in vgg.named_modules() if isinstance(m, ConvModule)]
    assert name == convs[-1] == 'backbone.features.11'
    resnet = PRETRAIN_MODELS.build(
        dict(type='ImageClassifier',
             backbone=dict(type='ResNet', depth=18),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=3,
                       in_channels=512)))
    assert default_target_layer(resnet) == 'backbone.layer4'
    assert default_target_layer(_ship_classifier()) == 'backbone.stages.2'
    # the maps are spatial, not the pooled 1 x 1 output
    for model in (vgg.eval(), resnet.eval()):
        maps, _ = GradCAM(model)(torch.randn(1, 3, 64, 64))
        assert maps.shape == (1, 64, 64)
    acts = []
    resnet.backbone.layer4.register_forward_hook(
        lambda m, i, o: acts.append(o))
    resnet(torch.randn(1, 3, 64, 64), mode='tensor')
    assert acts[0].shape[-2:] == (2, 2)
    # other backbones: the last Conv2d, with a warning
    other = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Conv2d(2, 2, 1))
    with pytest.warns(UserWarning, match='last Conv2d'):
        assert default_target_layer(other) == '1'


def test_overlay_blends_jet_map():
    gray = np.full((4, 5), 100, np.uint8)
    cam = np.zeros((4, 5))
    cam[1, 2] = 1.0
    out = overlay_cam(gray, cam, alpha=0.5)
    assert out.shape == (4, 5, 3)
    # jet: 1 -> dark red (BGR (0, 0, 128)), 0 -> dark blue (128, 0, 0)
    assert out[1, 2].tolist() == pytest.approx([50, 50, 114], abs=1)
    assert out[0, 0].tolist() == pytest.approx([114, 50, 50], abs=1)


CONFIG = """
custom_imports = dict(imports=['ifkd'], allow_failed_imports=False)
default_scope = 'mmpretrain'
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=[{mean}],
                           std=[{std}]),
    backbone=dict(type='ifkd.ShipCNN', channels=(8, 16, 16)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=2, in_channels=16))
test_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CustomDataset', data_root='{root}', with_label=True,
        pipeline=[dict(type='mmpretrain.LoadImageFromFile',
                       color_type='grayscale'),
                  dict(type='mmpretrain.PackInputs')]))
"""


def test_tool_writes_per_class_overlays(blob_model, tmp_path):
    rng = np.random.default_rng(7)
    root = tmp_path / 'data'
    centers = [(12, 12), (30, 34), (20, 38)]
    for i, c in enumerate(centers):
        for cls, center in (('sea', None), ('ship', c)):
            (root / cls).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / cls / f'chip{i}.png'),
                        _blob_image(rng, center))
    config = tmp_path / 'cfg.py'
    config.write_text(CONFIG.format(root=root, mean=MEAN, std=STD))
    ckpt = tmp_path / 'model.pth'
    torch.save(dict(state_dict=blob_model.state_dict(), meta=dict()), ckpt)
    out = tmp_path / 'cams'
    tool = _tool()
    rows = tool.write_grad_cams(str(config), str(ckpt), str(out),
                                per_class=2, explain='gt')
    files = sorted(p.relative_to(out).as_posix()
                   for p in out.rglob('*.png'))
    assert files == [
        'sea/000_chip0.png', 'sea/001_chip1.png', 'ship/000_chip0.png',
        'ship/001_chip1.png'
    ]
    with open(out / 'grad_cam.csv', newline='') as f:
        table = list(csv.DictReader(f))
    assert [r['file'] for r in table] == [r['file'] for r in rows]
    assert {r['target_layer'] for r in table} == {'backbone.stages.2'}
    assert [r['gt'] for r in table] == ['sea', 'sea', 'ship', 'ship']
    assert [r['pred'] for r in table[2:]] == ['ship', 'ship']
    for i, center in enumerate(centers[:2]):
        img = cv2.imread(str(out / 'ship' / f'00{i}_chip{i}.png'))
        assert img.shape == (SIZE, SIZE, 3)
        # the reddest pixel (jet's hot end) lies on the blob
        redness = img[..., 2].astype(int) - img[..., 0].astype(int)
        py, px = np.unravel_index(redness.argmax(), redness.shape)
        assert abs(py - center[0]) <= 6 and abs(px - center[1]) <= 6

    with pytest.raises(ValueError, match='has no module'):
        tool.write_grad_cams(str(config), str(ckpt), str(out), 1,
                             target_layer='backbone.layer4')
    bad = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'student.x': torch.zeros(1)}), bad)
    with pytest.raises(RuntimeError, match='export'):
        tool.write_grad_cams(str(config), str(bad), str(out), 1)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with pytest.raises(ValueError, match='per-class must be >= 1'):
            tool.write_grad_cams(str(config), str(ckpt), str(out), 0)
