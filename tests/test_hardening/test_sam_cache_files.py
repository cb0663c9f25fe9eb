"""The MobileSAM cache's files: their mode follows the umask (so a group
can share a cache), their size is exact, and the key covers every loading
and resize setting that changes SAM's pixels."""
import inspect
import os

import numpy as np
import pytest

import ifkd  # noqa: F401  (mmcv-lite kernels before mmdet imports mmcv.ops)
from ifkd.models.utils.sam_cache import (SAMEmbeddingCache, current_umask,
                                         pixel_settings_tag)

NPY_HEADER = 128  # numpy's .npy header for these shapes


def _cache(tmp_path, source='embedding') -> SAMEmbeddingCache:
    ckpt = tmp_path / 'sam.pt'
    ckpt.write_bytes(b'weights')
    cache = SAMEmbeddingCache(str(tmp_path / 'cache'), str(ckpt), source)
    cache.prepare()
    return cache


@pytest.mark.parametrize('umask, mode', [(0o002, 0o664), (0o022, 0o644),
                                         (0o077, 0o600)])
def test_files_get_the_mode_open_would_give(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        assert current_umask() == umask
        cache = _cache(tmp_path)
        cache.save('k', np.zeros((2, 2, 256), np.uint8))
        # a plain open() under the same umask: the reference
        with open(tmp_path / 'plain', 'wb'):
            pass
    finally:
        os.umask(old)
    reference = os.stat(tmp_path / 'plain').st_mode & 0o777
    assert reference == mode
    for name in ('meta.json', 'k.npy'):
        got = os.stat(tmp_path / 'cache' / name).st_mode & 0o777
        assert got == mode, (name, oct(got))


@pytest.mark.parametrize('source, shape', [('embedding', (64, 64, 256)),
                                           ('mask', (256, 256, 1))])
def test_entry_size_is_data_plus_npy_header(tmp_path, source, shape):
    cache = _cache(tmp_path, source)
    cache.save('k', np.full(shape, 7, np.uint8))
    size = os.path.getsize(tmp_path / 'cache' / 'k.npy')
    assert size == int(np.prod(shape)) + NPY_HEADER
    assert size == {'embedding': 1048704, 'mask': 65664}[source]
    np.testing.assert_array_equal(cache.load('k'), np.full(shape, 7))


def _settings(transform_cls, skip) -> dict:
    """A non-default value for each argument of a transform."""
    params = inspect.signature(transform_cls.__init__).parameters
    return {n: p.default for n, p in params.items()
            if n not in skip and p.default is not inspect.Parameter.empty}


def test_every_pixel_setting_keys_the_cache():
    from mmcv.transforms import LoadImageFromFile
    from mmdet.datasets.transforms import Resize
    loading = _settings(LoadImageFromFile,
                        {'self', 'file_client_args', 'backend_args'})
    resize = _settings(Resize, {'self', 'scale', 'scale_factor',
                                'keep_ratio', 'clip_object_border'})
    # the settings the README names, exactly (no 'channel_order' here)
    assert sorted(loading) == ['color_type', 'ignore_empty',
                               'imdecode_backend', 'to_float32']
    assert sorted(resize) == ['backend', 'interpolation']
    base = [[dict(type='LoadImageFromFile'),
             dict(type='Resize', scale=(64, 64), keep_ratio=True)]]
    tag = pixel_settings_tag(base)
    for idx, settings in ((0, loading), (1, resize)):
        for name, default in settings.items():
            changed = [[dict(t) for t in base[0]]]
            changed[0][idx][name] = f'not-{default}'
            assert pixel_settings_tag(changed) != tag, name
    # the target size is keyed through img_shape instead
    resized = [[base[0][0], dict(base[0][1], scale=(96, 96))]]
    assert pixel_settings_tag(resized) == tag
