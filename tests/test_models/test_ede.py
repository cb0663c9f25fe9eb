from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

import ifkd  # noqa: F401  (applies the compat patches first)
from ifkd.models.connectors import EDEConnector
from ifkd.models.distillers import DistillContext
from ifkd.models.utils import embed_valid_hw, to_sam_inputs

from ._numpy_ref import bilinear, sigmoid

SAM_MEAN = np.array([123.675, 116.28, 103.53])[:, None, None]
SAM_STD = np.array([58.395, 57.12, 57.375])[:, None, None]


def _pil_resize(img: np.ndarray, hw) -> np.ndarray:
    """Bilinear (antialiased) resize of a (C, h, w) float image with PIL."""
    return np.stack([
        np.asarray(
            Image.fromarray(ch.astype(np.float32), mode='F').resize(
                (hw[1], hw[0]), Image.BILINEAR)) for ch in img
    ])


def _reference_sam_input(rgb: np.ndarray, hw) -> np.ndarray:
    out = np.zeros((3, 1024, 1024))
    out[:, :hw[0], :hw[1]] = (_pil_resize(rgb, hw) - SAM_MEAN) / SAM_STD
    return out


def _detector_batch(images, mean, std, pad_hw):
    """Normalise (C, h, w) images and pad them bottom/right with zeros."""
    batch = np.zeros((len(images), images[0].shape[0], *pad_hw))
    for i, img in enumerate(images):
        batch[i, :, :img.shape[1], :img.shape[2]] = (
            img - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    return torch.from_numpy(batch).float()


def test_to_sam_inputs_bgr_padded_batch():
    rng = np.random.default_rng(0)
    rgb = [rng.uniform(0, 255, (3, 30, 20)), rng.uniform(0, 255, (3, 40, 50))]
    mean_rgb, std_rgb = (10.0, 120.0, 200.0), (20.0, 50.0, 80.0)
    # The detector sees BGR with BGR-ordered statistics.
    batch = _detector_batch([x[::-1] for x in rgb], mean_rgb[::-1],
                            std_rgb[::-1], (48, 64))
    sam, valid = to_sam_inputs(batch, [(30, 20), (40, 50)], mean_rgb[::-1],
                               std_rgb[::-1], bgr_to_rgb=True)
    # 1024 * 20 / 30 = 682.7 -> 683; 1024 * 40 / 50 = 819.2 -> 819.
    assert valid == [(1024, 683), (819, 1024)]
    assert sam.shape == (2, 3, 1024, 1024) and sam.dtype == torch.float32
    for i in range(2):
        ref = _reference_sam_input(rgb[i], valid[i])
        np.testing.assert_allclose(sam[i].numpy(), ref, atol=2e-4)
    assert (sam[0, :, :, 683:] == 0).all() and (sam[1, :, 819:] == 0).all()


def test_to_sam_inputs_rgb_gray_and_downscale():
    rng = np.random.default_rng(1)
    gray = rng.uniform(0, 255, (1, 1100, 600))
    batch = _detector_batch([gray], (100.0, ), (40.0, ), (1120, 608))
    sam, valid = to_sam_inputs(batch, [(1100, 600)], (100.0, ), (40.0, ),
                               bgr_to_rgb=True)
    assert valid == [(1024, 559)]  # 600 * 1024 / 1100 = 558.5 -> 559
    ref = _reference_sam_input(np.repeat(gray, 3, axis=0), valid[0])
    np.testing.assert_allclose(sam[0].numpy(), ref, atol=2e-3)
    # RGB input with bgr_to_rgb=False keeps the channel order.
    rgb = rng.uniform(0, 255, (3, 64, 32))
    batch = _detector_batch([rgb], (1.0, 2.0, 3.0), (4.0, 5.0, 6.0), (64, 32))
    sam, valid = to_sam_inputs(batch, [(64, 32)], (1.0, 2.0, 3.0),
                               (4.0, 5.0, 6.0), bgr_to_rgb=False)
    np.testing.assert_allclose(
        sam[0].numpy(), _reference_sam_input(rgb, (1024, 512)), atol=2e-4)


def test_embed_valid_hw():
    sam_hw = [(1024, 683), (819, 1024)]
    assert embed_valid_hw(sam_hw) == [(64, 43), (52, 64)]
    assert embed_valid_hw(sam_hw, embed_size=256) == [(256, 171), (205, 256)]


def _ede_case(source, channels, seed=0):
    """Two images (300x200 and 160x320) padded into one 320x320 batch."""
    g = torch.Generator().manual_seed(seed)
    img_shapes = [(300, 200), (160, 320)]
    sam_hw = [(1024, 683), (512, 1024)]
    size, ch = (64, 256) if source == 'embedding' else (256, 1)
    sam_out = torch.randn(2, ch, size, size, generator=g) * 3
    feature = torch.randn(2, channels, 40, 40, generator=g)  # stride 8
    return feature, sam_out, sam_hw, img_shapes


def _reference_perturbation(sam_out, embed_hw, level_hw):
    """Crop, sigmoid and resize each image's SAM output in numpy."""
    out = np.zeros((sam_out.shape[0], sam_out.shape[1], 40, 40))
    for i, ((eh, ew), (fh, fw)) in enumerate(zip(embed_hw, level_hw)):
        crop = sigmoid(sam_out[i, :, :eh, :ew].double().numpy())
        out[i, :, :fh, :fw] = bilinear(crop, (fh, fw))
    return out


@pytest.mark.parametrize('weight', [1.0, 0.5])
def test_embedding_perturbation_geometry(weight):
    feature, sam_out, sam_hw, img_shapes = _ede_case('embedding', 256)
    ede = EDEConnector(in_channels=256, weight=weight)
    out = ede(feature, sam_prob=sam_out.sigmoid(), sam_valid_hw=sam_hw,
              img_shapes=img_shapes, batch_input_shape=(320, 320))
    # Embedding valid: 683 / 16 -> 43 cols; 512 / 16 = 32 rows.
    # Level valid: 300 / 8 = 37.5 -> 38 rows, 200 / 8 = 25 cols; 20 x 40.
    ref = weight * _reference_perturbation(
        sam_out, [(64, 43), (32, 64)], [(38, 25), (20, 40)])
    delta = (out - feature).numpy()
    np.testing.assert_allclose(delta, ref, atol=1e-5)
    assert (delta[0, :, 38:] == 0).all() and (delta[0, :, :, 25:] == 0).all()
    assert (delta[1, :, 20:] == 0).all()
    assert (delta[0, :, :38, :25] > 0).all()


def test_mask_source_broadcasts_over_channels():
    feature, sam_out, sam_hw, img_shapes = _ede_case('mask', 8)
    # A stride-16 level (20 x 20) of the same batch.
    feature = feature[:, :, :20, :20].contiguous()
    ede = EDEConnector(in_channels=8, weight=2.0, source='mask')
    assert ede.adapter is None
    out = ede(feature, sam_prob=sam_out.sigmoid(), sam_valid_hw=sam_hw,
              img_shapes=img_shapes, batch_input_shape=(320, 320))
    # Mask valid: 683 / 4 -> 171 cols, 512 / 4 = 128 rows.
    # Level valid: 300 / 16 -> 19 rows, 200 / 16 -> 13 cols; 10 x 20.
    ref = np.zeros((2, 1, 20, 20))
    for i, ((eh, ew), (fh, fw)) in enumerate(
            zip([(256, 171), (128, 256)], [(19, 13), (10, 20)])):
        ref[i, :, :fh, :fw] = bilinear(
            sigmoid(sam_out[i, :, :eh, :ew].double().numpy()), (fh, fw))
    delta = (out - feature).numpy()
    # fp32 source-index arithmetic of a 171 -> 13 resize: ~1e-5 error.
    np.testing.assert_allclose(delta, 2.0 * np.broadcast_to(ref, delta.shape),
                               rtol=1e-4, atol=1e-4)


def test_adapter_conv_stays_zero_in_padding():
    feature, sam_out, sam_hw, img_shapes = _ede_case('embedding', 16)
    ede = EDEConnector(in_channels=16, embed_channels=256)
    with torch.no_grad():
        ede.adapter.bias.fill_(0.7)
    out = ede(feature, sam_prob=sam_out.sigmoid(), sam_valid_hw=sam_hw,
              img_shapes=img_shapes, batch_input_shape=(320, 320))
    pert = _reference_perturbation(sam_out, [(64, 43), (32, 64)],
                                   [(38, 25), (20, 40)])
    w = ede.adapter.weight.detach().double().numpy()[:, :, 0, 0]
    ref = np.einsum('oc,bchw->bohw', w, pert) + 0.7
    ref[0, :, 38:] = ref[0, :, :, 25:] = ref[1, :, 20:] = 0
    np.testing.assert_allclose((out - feature).detach().numpy(), ref,
                               atol=1e-4)


def test_keeps_feature_dtype_and_checks_channels():
    feature, sam_out, sam_hw, img_shapes = _ede_case('embedding', 256)
    ede = EDEConnector()
    out = ede(feature.half(), sam_prob=sam_out.sigmoid(),
              sam_valid_hw=sam_hw, img_shapes=img_shapes,
              batch_input_shape=(320, 320))
    assert out.dtype == torch.float16
    with pytest.raises(AssertionError, match='256 channels'):
        ede(feature, sam_prob=sam_out[:, :1].sigmoid(), sam_valid_hw=sam_hw,
            img_shapes=img_shapes, batch_input_shape=(320, 320))


def test_explicit_arguments_win_over_the_context():
    feature, sam_out, sam_hw, img_shapes = _ede_case('embedding', 256)
    ede = EDEConnector(in_channels=256)
    expected = ede(feature, sam_prob=sam_out.sigmoid(), sam_valid_hw=sam_hw,
                   img_shapes=img_shapes, batch_input_shape=(320, 320))

    def no_sam(context, source):
        raise AssertionError('SAM ran although sam_prob was given')

    # A context whose geometry is that of the batch, whose SAM must not run.
    samples = [SimpleNamespace(metainfo=dict(img_shape=s)) for s in img_shapes]
    context = DistillContext(torch.zeros(2, 3, 320, 320), samples,
                             sam_fn=no_sam)
    out = ede(feature, context=context, sam_prob=sam_out.sigmoid(),
              sam_valid_hw=sam_hw)
    torch.testing.assert_close(out, expected)
    # An explicit geometry overrides the context's too.
    moved = ede(feature, context=context, sam_prob=sam_out.sigmoid(),
                sam_valid_hw=sam_hw, img_shapes=[(320, 320)] * 2)
    assert (moved - feature)[0, :, 39:].abs().max() > 0
    assert (expected - feature)[0, :, 39:].abs().max() == 0
