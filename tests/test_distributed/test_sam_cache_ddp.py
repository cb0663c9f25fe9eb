"""Two ranks filling one MobileSAM cache at the same time (real processes,
see ``_fill_sam_cache.py``) leave it complete and uncorrupted: every entry
is there once, whole, holding what the ranks computed, and the training runs
that use it afterwards find every entry (they rewrite none)."""
import json
import os
import os.path as osp

import numpy as np

from ifkd.models.utils.sam_cache import SAMEmbeddingCache
from tests.test_distributed.conftest import cache_snapshot


def test_two_ranks_fill_one_cache(filled_cache, sam_checkpoint):
    cache_dir, stored = filled_cache['dir'], filled_cache['stored']
    # both ranks computed and wrote, at least one entry the same one
    assert stored[0] and stored[1]
    assert set(stored[0]) & set(stored[1])
    names = sorted(os.listdir(cache_dir))
    keys = set(stored[0]) | set(stored[1])
    # 4 train images, no flip: 4 entries, no temp files left over
    assert len(keys) == 4
    assert names == sorted([k + '.npy' for k in keys] + ['meta.json'])
    for key in keys:
        levels = np.load(osp.join(cache_dir, key + '.npy'), allow_pickle=False)
        assert levels.dtype == np.uint8 and levels.shape == (64, 64, 256)
        for rank in stored:
            if key in rank:
                assert np.array_equal(levels, rank[key])
    with open(osp.join(cache_dir, 'meta.json')) as f:
        assert json.load(f) == SAMEmbeddingCache(cache_dir,
                                                 sam_checkpoint).meta


def test_training_finds_every_entry(filled_cache, single_run, ddp_run):
    assert cache_snapshot(filled_cache['dir']) == filled_cache['snapshot']
