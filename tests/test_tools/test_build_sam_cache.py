"""tools/misc/build_sam_cache.py fills the cache with exactly the entries
that training looks up (both flip states), so training then never runs
MobileSAM. A counting stand-in replaces MobileSAM's encoder."""
import importlib.util
import os

import pytest
import torch.nn.functional as F

from ifkd.engine import launch
from ifkd.engine.launch import load_config
from ifkd.models.utils import MobileSAMEncoder
from tests.conftest import REPO, config_path, tiny_options

IFKD = 'ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft.py'


def _tool():
    spec = importlib.util.spec_from_file_location(
        'build_sam_cache', os.path.join(REPO, 'tools/misc/build_sam_cache.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_prebuilt_cache_serves_training(synthetic_root, sam_checkpoint,
                                        tmp_path, monkeypatch):
    calls = []

    def fake_embed(self, sam_batch):
        calls.append(len(sam_batch))
        return F.adaptive_avg_pool2d(sam_batch, 64).repeat(1, 86, 1,
                                                           1)[:, :256]

    monkeypatch.setattr(MobileSAMEncoder, 'embed', fake_embed)
    cache_dir = str(tmp_path / 'cache')
    opts = {
        **tiny_options(synthetic_root),
        'model.teacher_ckpt': None,
        'model.distiller.sam_checkpoint': sam_checkpoint,
        'model.distiller.sam_cache.dir': cache_dir,
    }
    tool = _tool()
    cfg = load_config(config_path(IFKD), cfg_options=opts)
    assert tool.flip_states(cfg.train_dataloader.dataset) == [
        None, 'horizontal'
    ]
    n = tool.build_sam_cache(cfg, batch_size=3)
    assert n % 2 == 0 and sum(calls) == n  # every image, both flip states
    entries = [f for f in os.listdir(cache_dir) if f.endswith('.npy')]
    assert len(entries) == n
    assert tool.build_sam_cache(cfg, batch_size=3) == n
    assert sum(calls) == n  # the second run only hits
    # training (random flips) finds every image in the cache
    launch.train(config_path(IFKD), work_dir=str(tmp_path / 'work'),
                 cfg_options=opts)
    assert sum(calls) == n
    assert len(os.listdir(cache_dir)) == n + 1  # + meta.json


def test_refuses_uncacheable_pipelines(synthetic_root, sam_checkpoint):
    opts = {
        **tiny_options(synthetic_root),
        'model.distiller.sam_checkpoint': sam_checkpoint,
        'train_dataloader.dataset.pipeline.3':
        dict(type='PhotoMetricDistortion'),
    }
    cfg = load_config(config_path(IFKD), cfg_options=opts)
    with pytest.raises(ValueError, match='PhotoMetricDistortion'):
        _tool().build_sam_cache(cfg)
