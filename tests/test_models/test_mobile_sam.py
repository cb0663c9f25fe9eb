"""MobileSAM wrapper, on a randomly initialised vit_t (no download).

MobileSAM's image encoder costs 1.5-9 s per 1024 x 1024 image on CPU: one
module-scoped model and two batch-1 encoder forwards in all.
"""
import os

import numpy as np
import pytest
import torch

import ifkd  # noqa: F401  (applies the compat patches first)
import mobile_sam  # noqa: I001  (a required package: no skip)
from ifkd.models.utils import MobileSAMEncoder, to_sam_inputs
from ifkd.models.utils.mobile_sam_encoder import _CACHE


@pytest.fixture(scope='module')
def sam_and_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = mobile_sam.sam_model_registry['vit_t']()
    path = tmp_path_factory.mktemp('sam') / 'mobile_sam.pt'
    torch.save(model.state_dict(), path)
    yield model.eval(), str(path)
    for key in [k for k in _CACHE if k[0] == os.path.realpath(path)]:
        del _CACHE[key]


@pytest.fixture(scope='module')
def image_batch():
    """A 1024 x 768 RGB image as a BGR detector batch padded to 1024 x 800."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (3, 1024, 768)).astype(np.float32)
    mean, std = (103.53, 116.28, 123.675), (57.375, 57.12, 58.395)  # BGR
    batch = torch.zeros(1, 3, 1024, 800)
    batch[0, :, :, :768] = (
        torch.from_numpy(rgb[::-1].copy()) -
        torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
    sam_batch, valid = to_sam_inputs(batch, [(1024, 768)], mean, std,
                                     bgr_to_rgb=True)
    assert valid == [(1024, 768)]
    return torch.from_numpy(rgb)[None], sam_batch


def test_loads_checkpoint_and_matches_official_predictor(
        sam_and_checkpoint, image_batch, monkeypatch):
    model, path = sam_and_checkpoint
    rgb, sam_batch = image_batch
    encoder = MobileSAMEncoder.build(path)
    assert not isinstance(encoder, torch.nn.Module)
    assert encoder.model is not model
    assert not any(p.requires_grad for p in encoder.model.parameters())
    assert not encoder.model.training
    # Reference: mobile_sam's own predictor on the in-memory model, fed the
    # raw RGB pixels (it normalises and pads itself), prompt-free.
    predictor = mobile_sam.SamPredictor(model)
    predictor.set_torch_image(rgb, (1024, 768))
    _, _, ref_logits = predictor.predict_torch(
        None, None, multimask_output=False, return_logits=True)
    embedding = encoder.embed(sam_batch)
    assert embedding.shape == (1, 256, 64, 64)
    torch.testing.assert_close(
        embedding, predictor.features, rtol=1e-4, atol=1e-4)
    logits = encoder.decode(embedding)
    assert logits.shape == (1, 1, 256, 256)
    torch.testing.assert_close(logits, ref_logits, rtol=1e-4, atol=1e-4)
    assert not embedding.requires_grad and not logits.requires_grad
    # mask_logits = decode(embed(.)); reuse the embedding (CPU time).
    with monkeypatch.context() as patch:
        patch.setattr(encoder, 'embed', lambda x: embedding)
        torch.testing.assert_close(encoder.mask_logits(sam_batch), logits)


def test_built_once_per_process(sam_and_checkpoint, tmp_path):
    _, path = sam_and_checkpoint
    first = MobileSAMEncoder.build(path)
    assert MobileSAMEncoder.build(path) is first
    link = tmp_path / 'link.pt'
    link.symlink_to(path)
    assert MobileSAMEncoder.build(str(link)) is first
    assert MobileSAMEncoder.build(path, device=torch.device('cpu')) is first


@pytest.mark.parametrize('bad', [None, '', 'missing/mobile_sam.pt', 'dir'])
def test_missing_checkpoint_fails_early_and_clearly(bad, tmp_path):
    if bad == 'dir':
        bad = str(tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        MobileSAMEncoder.build(bad)
    msg = str(info.value)
    assert 'model.distiller.sam_checkpoint' in msg and 'weights/mobile_sam.pt' in msg
    assert 'nothing is downloaded' in msg


def test_wrong_file_is_reported(tmp_path):
    path = tmp_path / 'not_sam.pt'
    torch.save({'weight': torch.zeros(1)}, path)
    with pytest.raises(RuntimeError, match='model.distiller.sam_checkpoint'):
        MobileSAMEncoder.build(str(path))
