"""MobileSAM output cache of EDE (``SAMEmbeddingCache``) and its hook.

One test runs the real (randomly initialised) MobileSAM: two 1024 x 1024
encoder passes, cached and uncached. The others use a cheap deterministic
stand-in that depends on the pixels like MobileSAM does.
"""
import json
import multiprocessing as mp
import os
import os.path as osp
from types import SimpleNamespace

import mmcv
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample

import ifkd  # noqa: F401  (applies the compat patches first)
import mobile_sam  # noqa: I001  (a required package: no skip)
from ifkd.engine.hooks import SAMCacheHook
from ifkd.models.connectors import EDEConnector
from ifkd.models.distillers.context import DistillContext
from ifkd.models.distillers.ifkd_distiller import IFKDDistiller
from ifkd.models.utils.sam_cache import (SAMEmbeddingCache,
                                         check_pipeline_cacheable,
                                         dataset_pipelines,
                                         pixel_settings_tag)


MEAN, STD = (103.53, 116.28, 123.675), (57.375, 57.12, 58.395)  # BGR
TOL = 1 / 510 + 1e-6  # after sigmoid, per unit of EDE weight


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    """Two different real MobileSAM vit_t checkpoint files."""
    root = tmp_path_factory.mktemp('sam')
    paths = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        path = root / f'mobile_sam_{seed}.pt'
        torch.save(mobile_sam.sam_model_registry['vit_t']().state_dict(),
                   path)
        paths.append(str(path))
    return paths


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    """Two PNG files: 96 x 128 and 120 x 80 BGR noise with structure."""
    root = tmp_path_factory.mktemp('imgs')
    rng = np.random.default_rng(0)
    paths = []
    for i, (h, w) in enumerate([(96, 128), (120, 80)]):
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        img[h // 4:h // 2, w // 4:w // 2] = 255
        path = str(root / f'img{i}.png')
        mmcv.imwrite(img, path)
        paths.append(path)
    return paths


def make_context(paths, flips=None, scale=1.0):
    """A detector batch (BGR, normalised, padded) built from image files."""
    flips = flips or [None] * len(paths)
    imgs, samples = [], []
    for path, flip in zip(paths, flips):
        img = mmcv.imrescale(mmcv.imread(path), scale)
        if flip:
            img = mmcv.imflip(img, flip)
        imgs.append(torch.from_numpy(img.astype(np.float32)).permute(2, 0, 1))
        samples.append(
            DetDataSample(
                metainfo=dict(
                    img_path=path, img_shape=img.shape[:2],
                    flip=flip is not None, flip_direction=flip)))
    pad_h = max(x.shape[1] for x in imgs)
    pad_w = max(x.shape[2] for x in imgs)
    batch = torch.zeros(len(imgs), 3, pad_h, pad_w)
    for i, x in enumerate(imgs):
        norm = (x - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(
            STD).view(3, 1, 1)
        batch[i, :, :x.shape[1], :x.shape[2]] = norm
    return DistillContext(batch, samples, MEAN, STD, input_is_rgb=False)


class FakeSAM:
    """Cheap stand-in for ``MobileSAMEncoder``: pooled pixels, counted."""

    def __init__(self, checkpoint):
        self.checkpoint = checkpoint
        self.images = 0

    def embed(self, sam_batch):
        self.images += len(sam_batch)
        pooled = F.adaptive_avg_pool2d(sam_batch, 64)
        return torch.cat([pooled * (k + 1) / 10 for k in range(86)],
                         1)[:, :256]

    def mask_logits(self, sam_batch):
        self.images += len(sam_batch)
        return F.adaptive_avg_pool2d(sam_batch.mean(1, keepdim=True), 256)


def make_distiller(checkpoint, cache_dir=None, source='embedding'):
    distiller = IFKDDistiller(
        sam_checkpoint=checkpoint,
        sam_cache=dict(dir=cache_dir, enabled=True) if cache_dir else None,
        connectors=dict(ede=dict(type='ifkd.EDEConnector', source=source)))
    return distiller


def ede_outputs(distiller, context, source='embedding'):
    """EDE on two FPN levels of the batch, through the distiller."""
    distiller.set_context(context)
    ede = distiller.connectors['ede']
    b, _, h, w = context.inputs.shape
    feats = [torch.zeros(b, 256, h // s, w // s) for s in (8, 16)]
    return [ede(f, context=context) for f in feats]


def test_cached_matches_uncached_real_mobile_sam(checkpoints, images,
                                                 tmp_path):
    plain = make_distiller(checkpoints[0])
    cached = make_distiller(checkpoints[0], str(tmp_path / 'cache'))
    assert cached._sam is plain._sam  # built once per process
    calls = []
    real_embed = plain._sam.embed

    def counting_embed(batch):
        calls.append(len(batch))
        return real_embed(batch)

    plain._sam.embed = counting_embed
    try:  # one image: each MobileSAM pass costs seconds on a CPU
        ref = ede_outputs(plain, make_context(images[:1]))
        first = ede_outputs(cached, make_context(images[:1]))
        again = ede_outputs(cached, make_context(images[:1]))
    finally:
        del plain._sam.embed
    # one MobileSAM call per uncached batch, none for hits
    assert calls == [1, 1]
    for r, a, b in zip(ref, first, again):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
        assert (a - r).abs().max() <= TOL
    files = sorted(os.listdir(tmp_path / 'cache'))
    entries = [np.load(tmp_path / 'cache' / f) for f in files
               if f.endswith('.npy')]
    # only the valid region, as uint8: 96 x 128 -> 768 x 1024 in SAM's
    # input -> 48 x 64 of the 64 x 64 cells
    assert [(e.shape, e.dtype) for e in entries] == [((48, 64, 256),
                                                      np.uint8)]


def test_quantisation_roundtrip_within_tolerance():
    prob = (torch.randn(2, 8, 9) * 6).sigmoid()
    prob[0, 0, :4] = torch.tensor([0., 1., 0.5, 0.2])
    levels = SAMEmbeddingCache.quantize(prob)
    assert levels.dtype == np.uint8
    # round half to even at exactly half a level, as numpy does
    assert levels[0, 0, :4].tolist() == [0, 255, 128, 51]
    back = SAMEmbeddingCache.dequantize(levels)
    assert back.dtype == torch.float32
    assert (back - prob).abs().max() <= TOL
    np.testing.assert_array_equal(
        back.numpy(), np.round(prob.numpy() * 255).astype(np.float32) / 255)


@pytest.mark.parametrize('source', ['embedding', 'mask'])
def test_hits_flips_and_sizes_get_their_own_entries(checkpoints, images,
                                                    tmp_path, source):
    distiller = make_distiller(checkpoints[0], str(tmp_path), source)
    fake = distiller._sam = FakeSAM(checkpoints[0])
    ede_outputs(distiller, make_context(images), source)
    assert fake.images == 2
    ede_outputs(distiller, make_context(images), source)
    assert fake.images == 2  # all hits
    # a flipped copy of image 0 is a new entry; image 1 is still a hit
    flipped = ede_outputs(
        distiller, make_context(images, ['horizontal', None]), source)
    assert fake.images == 3
    # and its content is that of the flipped image, not of the original
    plain = make_distiller(checkpoints[0], source=source)
    plain._sam = FakeSAM(checkpoints[0])
    ref = ede_outputs(plain, make_context(images, ['horizontal', None]),
                      source)
    assert (flipped[0] - ref[0]).abs().max() <= TOL
    # another resize (img_shape) of the same files: new entries
    ede_outputs(distiller, make_context(images, scale=0.5), source)
    assert fake.images == 5
    assert len([f for f in os.listdir(tmp_path) if f.endswith('.npy')]) == 5


def test_stale_cache_is_detected_and_rebuilt(checkpoints, images, tmp_path):
    cache_dir = str(tmp_path)
    first = make_distiller(checkpoints[0], cache_dir)
    first._sam = FakeSAM(checkpoints[0])
    ede_outputs(first, make_context(images))
    meta = json.load(open(osp.join(cache_dir, 'meta.json')))
    assert meta['source'] == 'embedding' and meta['format_version'] == 2
    open(osp.join(cache_dir, 'notes.txt'), 'w').write('not the cache\'s')
    # another checkpoint file: warn, clear, recompute
    other = make_distiller(checkpoints[1], cache_dir)
    other._sam = FakeSAM(checkpoints[1])
    with pytest.warns(UserWarning, match='stale'):
        ede_outputs(other, make_context(images))
    assert other._sam.images == 2
    new_meta = json.load(open(osp.join(cache_dir, 'meta.json')))
    assert new_meta['checkpoint_sha1'] != meta['checkpoint_sha1']
    assert len([f for f in os.listdir(cache_dir) if f.endswith('.npy')]) == 2
    # another source in the same directory: stale as well
    mask = make_distiller(checkpoints[1], cache_dir, 'mask')
    mask._sam = FakeSAM(checkpoints[1])
    with pytest.warns(UserWarning, match='stale'):
        ede_outputs(mask, make_context(images), 'mask')
    assert mask._sam.images == 2
    assert json.load(open(osp.join(cache_dir, 'meta.json')))['source'] == \
        'mask'
    assert osp.isfile(osp.join(cache_dir, 'notes.txt'))  # not ours: kept
    # an unreadable entry is a miss, not a crash
    for f in os.listdir(cache_dir):
        if f.endswith('.npy'):
            open(osp.join(cache_dir, f), 'wb').write(b'garbage')
    ede_outputs(mask, make_context(images), 'mask')
    assert mask._sam.images == 4


def _writer(cache_dir, checkpoint, seed):
    cache = SAMEmbeddingCache(cache_dir, checkpoint, 'mask', enabled=True)
    cache.prepare()
    rng = np.random.default_rng(seed)
    for i in range(60):
        levels = np.full((1, 64, 48), i % 7, np.uint8)
        levels[0, 0, 0] = rng.integers(0, 256)
        cache.save(f'k{i % 7}', levels)


def test_concurrent_writers_leave_a_readable_cache(checkpoints, tmp_path):
    cache_dir = str(tmp_path / 'cache')
    os.makedirs(cache_dir)
    # a stale directory: both processes may clear it at once
    json.dump(dict(format_version=0), open(osp.join(cache_dir, 'meta.json'),
                                           'w'))
    ctx = mp.get_context('fork')
    procs = [
        ctx.Process(target=_writer, args=(cache_dir, checkpoints[0], s))
        for s in (0, 1)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    cache = SAMEmbeddingCache(cache_dir, checkpoints[0], 'mask')
    assert json.load(open(osp.join(cache_dir, 'meta.json'))) == cache.meta
    names = os.listdir(cache_dir)
    assert not [n for n in names if n.endswith('.tmp')]
    for k in range(7):
        levels = cache.load(f'k{k}')
        if levels is not None:  # an entry may be lost to a clear, not torn
            assert levels.shape == (1, 64, 48)
            assert (levels.ravel()[1:] == k).all()


TRAIN = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(256, 256), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]


@pytest.mark.parametrize('extra, ok', [
    (None, True),
    (dict(type='RandomCrop', crop_size=(64, 64)), False),
    (dict(type='PhotoMetricDistortion'), False),
    (dict(type='RandomChoiceResize', scales=[(64, 64), (96, 96)]), False),
    (dict(type='mmdet.Mosaic', img_scale=(64, 64)), False),
])
def test_pipeline_check(extra, ok):
    pipeline = TRAIN[:4] + ([extra] if extra else []) + TRAIN[4:]
    verdict, reason = check_pipeline_cacheable(pipeline)
    assert verdict is ok
    if extra:
        assert extra['type'].split('.')[-1] in reason


def test_hook_toggles_the_distiller_cache(checkpoints, tmp_path):
    distiller = make_distiller(checkpoints[0], str(tmp_path))
    cache = distiller.sam_caches['embedding']
    warnings = []
    runner = SimpleNamespace(
        model=SimpleNamespace(distiller=distiller, data_preprocessor=None),
        logger=SimpleNamespace(info=lambda m: None,
                               warning=warnings.append),
        cfg=SimpleNamespace(train_dataloader=SimpleNamespace(
            dataset=dict(type='RepeatDataset', times=2,
                         dataset=dict(pipeline=TRAIN)))))
    SAMCacheHook().before_train(runner)
    assert cache.enabled is True and not warnings
    bad = TRAIN[:3] + [dict(type='PhotoMetricDistortion')] + TRAIN[3:]
    runner.cfg.train_dataloader.dataset['dataset']['pipeline'] = bad
    SAMCacheHook().before_train(runner)
    assert cache.enabled is False
    assert 'PhotoMetricDistortion' in warnings[0]
    assert len(dataset_pipelines(runner.cfg.train_dataloader.dataset)) == 2


def _with(pipeline, index, **changes):
    out = [dict(t) for t in pipeline]
    out[index].update(changes)
    return out


def test_loading_and_resize_settings_key_the_cache(checkpoints, images,
                                                   tmp_path):
    base = pixel_settings_tag([TRAIN])
    # settings that change SAM's pixels for the same file, flip and shape
    for index, change in [(0, dict(color_type='grayscale')),
                          (0, dict(imdecode_backend='pillow')),
                          (2, dict(interpolation='nearest')),
                          (2, dict(backend='pillow'))]:
        assert pixel_settings_tag([_with(TRAIN, index, **change)]) != base
    # the output size is keyed by img_shape already; flips by direction
    for index, change in [(2, dict(scale=(512, 512))),
                          (2, dict(keep_ratio=False)),
                          (3, dict(prob=1.0)), (1, dict(with_mask=True))]:
        assert pixel_settings_tag([_with(TRAIN, index, **change)]) == base
    # the hook hands the tag to the cache, and another tag is another entry
    distiller = make_distiller(checkpoints[0], str(tmp_path))
    fake = distiller._sam = FakeSAM(checkpoints[0])
    runner = SimpleNamespace(
        model=SimpleNamespace(distiller=distiller, data_preprocessor=None),
        logger=SimpleNamespace(info=lambda m: None, warning=print),
        cfg=SimpleNamespace(train_dataloader=SimpleNamespace(
            dataset=dict(pipeline=TRAIN))))
    SAMCacheHook().before_train(runner)
    cache = distiller.sam_caches['embedding']
    assert cache.pipeline_tag == base
    ede_outputs(distiller, make_context(images))
    ede_outputs(distiller, make_context(images))
    assert fake.images == 2
    runner.cfg.train_dataloader.dataset['pipeline'] = _with(
        TRAIN, 2, interpolation='nearest')
    SAMCacheHook().before_train(runner)
    ede_outputs(distiller, make_context(images))
    assert fake.images == 4
    assert len([f for f in os.listdir(tmp_path) if f.endswith('.npy')]) == 4


def test_disabled_cache_is_bypassed(checkpoints, images, tmp_path):
    distiller = make_distiller(checkpoints[0], str(tmp_path / 'c'))
    distiller.sam_caches['embedding'].enabled = False
    distiller._sam = FakeSAM(checkpoints[0])
    for _ in range(2):
        ede_outputs(distiller, make_context(images))
    assert distiller._sam.images == 4
    assert not osp.exists(tmp_path / 'c')
