"""The mmcv-lite ``mmcv._ext`` stand-in (ifkd/compat/mmcv_ext.py).

References, all independent of torchvision's kernels:
* NMS: a greedy numpy NMS with mmcv's ``offset`` convention and a stable
  descending sort (ties keep index order);
* RoIAlign: a numpy bilinear RoIAlign built as an explicit linear map A
  (output = A x, so the input gradient is A^T g), following mmcv's rules for
  ``aligned``, adaptive ``sampling_ratio`` and samples outside the map;
* sigmoid focal loss: ``torchvision.ops.sigmoid_focal_loss`` (a pure-torch
  formula, not mmcv's) on one-hot targets, and its autograd gradient.
"""
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import ifkd  # noqa: F401  (installs the stand-in where mmcv-lite is used)
from ifkd.compat import mmcv_ext

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


def nms_numpy(boxes: np.ndarray, scores: np.ndarray, thr: float,
              offset: int) -> np.ndarray:
    order = np.argsort(-scores, kind='stable')
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1 + offset) * (y2 - y1 + offset)
    suppressed = np.zeros(len(boxes), bool)
    keep = []
    for pos, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        for j in order[pos + 1:]:
            w = max(0., min(x2[i], x2[j]) - max(x1[i], x1[j]) + offset)
            h = max(0., min(y2[i], y2[j]) - max(y1[i], y1[j]) + offset)
            inter = w * h
            if inter / (areas[i] + areas[j] - inter) > thr:
                suppressed[j] = True
    return np.array(keep, dtype=np.int64)


def _grid_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    # coordinates on a 1/4 px grid: every IoU is computed exactly in fp32
    xy = rng.integers(0, 160, size=(n, 2)) / 4
    wh = rng.integers(1, 80, size=(n, 2)) / 4
    return np.concatenate([xy, xy + wh], 1).astype(np.float32)


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('offset', [0, 1])
@pytest.mark.parametrize('thr', [0.3, 0.5, 0.7])
def test_nms_matches_numpy(device, offset, thr):
    from mmcv.ops import nms
    rng = np.random.default_rng(offset * 10 + int(thr * 10))
    boxes = _grid_boxes(rng, 200)
    # many exact ties: ties must keep index order, as a stable sort does
    scores = (rng.integers(0, 12, size=200) / 12).astype(np.float32)
    ref = nms_numpy(boxes, scores, thr, offset)
    dets, inds = nms(torch.from_numpy(boxes).to(device),
                     torch.from_numpy(scores).to(device), thr, offset=offset)
    assert inds.cpu().tolist() == ref.tolist()
    assert 0 < len(ref) < 200
    np.testing.assert_array_equal(dets[:, :4].cpu().numpy(), boxes[ref])
    # numpy in and out, as mmcv allows
    _, inds_np = nms(boxes, scores, thr, offset=offset)
    assert inds_np.tolist() == ref.tolist()


def test_nms_offset_changes_the_result_as_mmcv_defines_it():
    from mmcv.ops import nms

    # w = x2 - x1 (offset 0): inter 1, areas 2 and 2, IoU 1/3;
    # w = x2 - x1 + 1 (offset 1): inter 2 * 2, areas 6 and 6, IoU 4/8
    boxes = torch.tensor([[0., 0., 2., 1.], [1., 0., 3., 1.]])
    scores = torch.tensor([0.9, 0.8])
    assert nms(boxes, scores, 0.4, offset=0)[1].tolist() == [0, 1]
    assert nms(boxes, scores, 0.4, offset=1)[1].tolist() == [0]


def test_nms_empty_and_score_threshold_and_batched():
    from mmcv.ops import batched_nms, nms
    dets, inds = nms(torch.zeros(0, 4), torch.zeros(0), 0.5)
    assert inds.dtype == torch.long and inds.numel() == 0
    assert dets.shape == (0, 5)
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.],
                          [50., 50., 60., 60.]])
    scores = torch.tensor([0.9, 0.95, 0.2])
    assert nms(boxes, scores, 0.5, score_threshold=0.3)[1].tolist() == [1]
    # batched: same boxes in two classes do not suppress each other
    idxs = torch.tensor([0, 1, 0])
    _, keep = batched_nms(boxes, scores, idxs,
                          dict(type='nms', iou_threshold=0.5))
    assert sorted(keep.tolist()) == [0, 1, 2]
    _, keep = batched_nms(boxes, scores, torch.zeros(3, dtype=torch.long),
                          dict(type='nms', iou_threshold=0.5))
    assert keep.tolist() == [1, 2]


def _bilinear_weights(y: float, x: float, h: int, w: int) -> list:
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return []
    y, x = max(y, 0.), max(x, 0.)
    y_low, x_low = int(y), int(x)
    if y_low >= h - 1:
        y_low = y_high = h - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= w - 1:
        x_low = x_high = w - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1. - ly, 1. - lx
    return [(y_low, x_low, hy * hx), (y_low, x_high, hy * lx),
            (y_high, x_low, ly * hx), (y_high, x_high, ly * lx)]


def roi_align_matrix(rois: np.ndarray, shape: tuple, out_hw: tuple,
                     scale: float, sampling: int, aligned: bool) -> np.ndarray:
    """(R * ph * pw, B * H * W): RoIAlign (avg) as a linear map."""
    b, h, w = shape
    ph, pw = out_hw
    mat = np.zeros((len(rois) * ph * pw, b * h * w))
    off = 0.5 if aligned else 0.
    for r, (bi, x1, y1, x2, y2) in enumerate(rois):
        sx, sy = x1 * scale - off, y1 * scale - off
        rw, rh = x2 * scale - off - sx, y2 * scale - off - sy
        if not aligned:
            rw, rh = max(rw, 1.), max(rh, 1.)
        bh, bw = rh / ph, rw / pw
        gh = sampling if sampling > 0 else math.ceil(rh / ph)
        gw = sampling if sampling > 0 else math.ceil(rw / pw)
        count = max(gh * gw, 1)
        for i in range(ph):
            for j in range(pw):
                row = (r * ph + i) * pw + j
                for iy in range(gh):
                    y = sy + i * bh + (iy + .5) * bh / gh
                    for ix in range(gw):
                        x = sx + j * bw + (ix + .5) * bw / gw
                        for yy, xx, wt in _bilinear_weights(y, x, h, w):
                            mat[row, (int(bi) * h + yy) * w + xx] += (
                                wt / count)
    return mat


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('sampling', [0, 2])
def test_roi_align_forward_backward_match_numpy(device, aligned, sampling):
    from mmcv.ops import RoIAlign
    rng = np.random.default_rng(int(aligned) * 2 + sampling)
    b, c, h, w = 2, 3, 9, 11
    scale = 0.5
    feat = rng.standard_normal((b, c, h, w))
    rois = np.array([
        [0, 2.0, 3.0, 14.0, 12.0],
        [1, 0.3, 0.7, 21.9, 17.4],
        [1, -6.0, -4.0, 5.0, 3.0],      # partly outside the map
        [0, 15.0, 12.0, 40.0, 44.0],    # mostly outside
        [1, 30.0, 30.0, 36.0, 36.0],    # entirely outside: all zeros
        [0, 4.0, 4.0, 4.5, 4.2],        # smaller than a pixel
    ])
    ph, pw = 3, 4
    mat = roi_align_matrix(rois, (b, h, w), (ph, pw), scale, sampling,
                           aligned)
    x = feat.transpose(0, 2, 3, 1).reshape(b * h * w, c)
    ref = (mat @ x).reshape(len(rois), ph, pw, c).transpose(0, 3, 1, 2)

    op = RoIAlign((ph, pw), scale, sampling_ratio=sampling, aligned=aligned)
    inp = torch.tensor(feat, dtype=torch.float32, device=device,
                       requires_grad=True)
    out = op(inp, torch.tensor(rois, dtype=torch.float32, device=device))
    np.testing.assert_allclose(out.detach().cpu().numpy(), ref, atol=2e-5,
                               rtol=1e-4)
    assert np.abs(ref[4]).max() == 0 and np.abs(ref[0]).max() > 0

    grad_out = rng.standard_normal(ref.shape)
    out.backward(torch.tensor(grad_out, dtype=torch.float32, device=device))
    g = grad_out.transpose(0, 2, 3, 1).reshape(-1, c)
    ref_grad = (mat.T @ g).reshape(b, h, w, c).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(inp.grad.cpu().numpy(), ref_grad, atol=2e-5,
                               rtol=1e-4)


def test_roi_align_empty_rois_and_max_mode():
    from mmcv.ops import RoIAlign, roi_align
    feat = torch.randn(1, 2, 5, 5, requires_grad=True)
    out = roi_align(feat, torch.zeros(0, 5), (2, 2), 1.0, 0, 'avg', True)
    assert out.shape == (0, 2, 2, 2)
    out.sum().backward()
    assert torch.equal(feat.grad, torch.zeros_like(feat))
    with pytest.raises(mmcv_ext.MissingMMCVKernelError,
                       match="pool_mode='max'.*IFKD_MMCV=full"):
        RoIAlign((2, 2), pool_mode='max')(
            feat, torch.tensor([[0., 0., 0., 4., 4.]]))


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('gamma,alpha', [(2.0, 0.25), (0.5, 0.6), (0., .5)])
def test_sigmoid_focal_loss_matches_torchvision_formula(device, gamma, alpha):
    from mmcv.ops import sigmoid_focal_loss
    from torchvision.ops import sigmoid_focal_loss as tv_focal
    torch.manual_seed(0)
    n, num_classes = 40, 5
    logits = (torch.randn(n, num_classes) * 3).to(device)
    target = torch.randint(0, num_classes + 1, (n,), device=device)
    target[:3] = num_classes  # background rows: no positive class
    onehot = torch.nn.functional.one_hot(target, num_classes + 1)
    onehot = onehot[:, :num_classes].to(logits.dtype)

    x = logits.clone().requires_grad_()
    ref = tv_focal(x, onehot, alpha=alpha, gamma=gamma, reduction='sum')
    ref.backward()
    y = logits.clone().requires_grad_()
    loss = sigmoid_focal_loss(y, target, gamma, alpha, None, 'sum')
    loss.backward()
    torch.testing.assert_close(loss, ref.detach(), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(y.grad, x.grad, rtol=1e-4, atol=1e-6)

    # per-class weights multiply each row by weight[target]
    weight = torch.rand(num_classes, device=device) + 0.5
    elem = sigmoid_focal_loss(logits, target, gamma, alpha, weight, 'none')
    ref_elem = tv_focal(logits, onehot, alpha=alpha, gamma=gamma,
                        reduction='none')
    row_w = torch.ones(n, device=device)
    fg = target < num_classes
    row_w[fg] = weight[target[fg]]
    # mmcv's formula takes log(1 - sigmoid(x)); torchvision's is the stable
    # log-sigmoid form: they differ by up to ~5e-5 relative at |x| ~ 9.
    torch.testing.assert_close(elem, ref_elem * row_w[:, None], rtol=1e-4,
                               atol=1e-6)


def test_other_kernels_raise_with_op_and_fix():
    from mmcv.ops import softmax_focal_loss
    with pytest.raises(mmcv_ext.MissingMMCVKernelError) as err:
        softmax_focal_loss(torch.randn(3, 4), torch.tensor([0, 1, 2]))
    msg = str(err.value)
    assert "'softmax_focal_loss_forward'" in msg
    assert 'IFKD_MMCV=full make setup' in msg and 'mmcv-lite' in msg


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)],
                          capture_output=True, text=True)


def test_mmcv_ops_unusable_on_mmcv_lite_without_the_stand_in():
    if mmcv_ext.compiled_ext_available():
        pytest.fail('this environment has compiled mmcv ops: the default '
                    'setup installs mmcv-lite')
    proc = _python('import mmcv.ops')
    assert proc.returncode != 0
    assert "No module named 'mmcv._ext'" in proc.stderr
    assert isinstance(sys.modules['mmcv._ext'], mmcv_ext.TorchvisionExt)


def test_a_compiled_ext_is_left_untouched(tmp_path):
    # A compiled extension found on mmcv's path: nothing is installed.
    (tmp_path / '_ext.py').write_text(textwrap.dedent('''
        COMPILED = True
        def __getattr__(name):  # every kernel mmcv.ops looks up
            if name.startswith('__'):
                raise AttributeError(name)
            return lambda *args, **kwargs: 'compiled'
    '''))
    proc = _python(f"""
        import mmcv
        mmcv.__path__.append({str(tmp_path)!r})
        import ifkd, sys
        from ifkd.compat.mmcv_ext import compiled_ext_available
        from ifkd.compat import install_mmcv_ext
        # import ifkd imported mmdet, so mmcv.ops loaded the compiled one
        assert getattr(sys.modules['mmcv._ext'], 'COMPILED', False)
        assert compiled_ext_available() and install_mmcv_ext() is None
        import mmcv._ext
        assert mmcv._ext.COMPILED
        assert mmcv._ext.nms(None, None, 0.5, 0) == 'compiled'
        print('untouched')
    """)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'untouched' in proc.stdout
    # ... and one already imported is not replaced either.
    proc = _python("""
        import sys, types
        real = types.ModuleType('mmcv._ext')

        def kernel(name):
            if name.startswith('__'):
                raise AttributeError(name)
            return lambda *args, **kwargs: 'compiled'

        real.__getattr__ = kernel
        sys.modules['mmcv._ext'] = real
        import ifkd
        assert sys.modules['mmcv._ext'] is real
        print('kept')
    """)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'kept' in proc.stdout


def test_stock_tools_get_the_stand_in_through_custom_imports(tmp_path):
    # mmengine imports `custom_imports` while loading the config, before the
    # model (and so mmcv.ops) is built: nothing imports ifkd by hand here.
    cfg = tmp_path / 'cfg.py'
    cfg.write_text("custom_imports = dict(imports=['ifkd'], "
                   "allow_failed_imports=False)\n")
    proc = _python(f"""
        import sys
        from mmengine.config import Config
        Config.fromfile({str(cfg)!r})
        import torch
        from mmdet.registry import MODELS
        from mmdet.utils import register_all_modules
        register_all_modules()
        ext = sys.modules['mmcv._ext']
        roi = MODELS.build(dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=2, featmap_strides=[4]))
        out = roi([torch.ones(1, 2, 8, 8)], torch.tensor([[0., 0, 0, 16, 16]]))
        print(type(ext).__name__, float(out.mean()))
    """)
    assert proc.returncode == 0, proc.stderr[-3000:]
    name, mean = proc.stdout.split()
    assert name == ('module' if mmcv_ext.compiled_ext_available()
                    else 'TorchvisionExt')
    assert float(mean) == pytest.approx(1.0)  # RoIAlign of a constant map


def test_transformers_stays_out_of_the_stack():
    # mmpretrain turns on its multimodal models at import when transformers
    # is installed; the pinned stack keeps it out.
    import importlib.util
    assert importlib.util.find_spec('transformers') is None
    proc = _python('import ifkd, mmpretrain.models, sys; '
                   "print('transformers' in sys.modules)")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == 'False'


def test_mmseg_needs_the_undeclared_ftfy_and_regex():
    import os.path as osp
    from importlib import metadata
    # only behind an extra, not as install requirements
    declared = ' '.join(r for r in metadata.requires('mmsegmentation') or []
                        if 'extra ==' not in r)
    assert 'ftfy' not in declared and 'regex' not in declared
    repo = osp.dirname(osp.dirname(osp.abspath(__file__)))
    with open(osp.join(repo, 'requirements', 'runtime.txt')) as f:
        ours = {ln.split('#')[0].strip() for ln in f}
    assert {'ftfy', 'regex'} <= ours
    for missing in ('ftfy', 'regex'):
        proc = _python(f"""
            import sys
            sys.modules[{missing!r}] = None  # as if not installed
            import ifkd, mmseg.models
        """)
        assert proc.returncode != 0
        assert f"import of {missing} halted" in proc.stderr or (
            f"No module named '{missing}'" in proc.stderr), proc.stderr[-800:]
    assert _python('import ifkd, mmseg.models').returncode == 0


def test_mmengine_sees_importable_ops_and_reverts_sync_bn():
    # mmengine asks pkgutil.find_loader('mmcv._ext') before building every
    # runner (revert_sync_batchnorm) and optimizer: a module without a spec
    # breaks both.
    from mmengine.model.utils import revert_sync_batchnorm
    from mmengine.utils.dl_utils import mmcv_full_available
    assert mmcv_full_available()
    bn = revert_sync_batchnorm(torch.nn.Sequential(torch.nn.SyncBatchNorm(3)))
    assert type(bn[0]).__name__ == '_BatchNormXd'
    x = torch.randn(4, 3, 2, 2)
    bn.train()
    mean = x.transpose(0, 1).reshape(3, -1).mean(1)
    bn(x)
    torch.testing.assert_close(bn[0].running_mean, 0.1 * mean)
