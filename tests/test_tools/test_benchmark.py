"""The distillation benchmark: its rows, ratios and single-module configs
(consistency only, not timings). MobileSAM is replaced by a cheap stand-in
that counts its calls."""
import subprocess
import sys

import pytest
import torch.nn.functional as F
from mmengine.config import Config

from ifkd.engine.benchmark import (ablate_distiller, default_baselines,
                                   format_table, run_benchmark, table_rows)
from ifkd.models.utils import MobileSAMEncoder
from tests.conftest import config_path

IFKD = 'ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft.py'
FRS = 'baselines/frs_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft.py'


def _specs(mapping):
    return [s for args in mapping.values() for s in args.values()]


def test_ablated_distillers_keep_one_module():
    distiller = Config.fromfile(config_path(IFKD)).model.distiller
    ede = ablate_distiller(distiller, ['ede'])
    fdr = ablate_distiller(distiller, ['fdr'])
    hsm = ablate_distiller(distiller, ['hsm'])
    feat = 'loss_feat_fpn0'
    assert ede.loss_forward_mappings[feat]['preds_T']['connector'] == [
        't_ede0'
    ]
    assert 'connector_kwargs' not in ede.loss_forward_mappings[feat][
        'preds_T']
    assert fdr.loss_forward_mappings[feat]['preds_T']['connector'] == [
        't_fdr0'
    ]
    assert 'frs_mask' in fdr.loss_forward_mappings[feat]['preds_T'][
        'connector_kwargs']
    # no HSM: the losses take no mask (all ones)
    for cfg in (ede, fdr):
        assert not [s for s in _specs(cfg.loss_forward_mappings)
                    if s.get('connector') == 'hsm']
        assert 'mask' not in cfg.loss_forward_mappings['loss_head_fpn3']
    assert 'hsm' not in ede.connectors and 'frs' not in ede.connectors
    assert not [n for n in fdr.connectors if 'ede' in n] and 'frs' in \
        fdr.connectors
    # HSM only: the mask on the raw teacher feature, no EDE/FDR connector
    mask = hsm.loss_forward_mappings[feat]['mask']
    assert mask['connector'] == 'hsm' and mask['connector_idx'] == 0
    assert len(mask['inputs']['t_feat']) == 5
    assert not [s for s in mask['inputs']['t_feat'] if 'connector' in s]
    assert set(hsm.connectors) == {'hsm'} | {f's_adapt{i}' for i in range(5)}
    # the original is untouched
    assert distiller.loss_forward_mappings[feat]['preds_T']['connector'] == [
        't_ede0', 't_fdr0'
    ]


def test_default_baselines_match_the_detectors_and_data():
    found = default_baselines(config_path(IFKD), config_path('baselines'))
    assert config_path(FRS) in found
    assert all('retinanet_r50-mbv2' in p and 'synthetic' in p for p in found)


def test_benchmark_rows_and_ratios(sam_checkpoint, monkeypatch):
    calls = []

    def fake_embed(self, sam_batch):
        calls.append(len(sam_batch))
        return F.adaptive_avg_pool2d(sam_batch, 64).repeat(1, 86, 1,
                                                           1)[:, :256]

    monkeypatch.setattr(MobileSAMEncoder, 'embed', fake_embed)
    rows = run_benchmark(
        config_path(IFKD), iters=1, warmup=0, batch_size=1, img_size=64,
        cfg_options={'model.distiller.sam_checkpoint': sam_checkpoint},
        baselines=[config_path(FRS), 'configs/baselines/missing.py'],
        log=lambda msg: None)
    names = [r.name for r in rows]
    assert names == [
        'student', 'teacher fwd', 'IFKD (no cache)', 'IFKD (cache)',
        'EDE only (cache)', 'FDR only', 'HSM only', 'FRS'
    ]
    # MobileSAM: the uncached row's warm-up step, both batches (warm-up and
    # timed) to fill the cache, whose rows only hit it afterwards, and the
    # uncached row's timed step
    assert calls == [1, 1, 1, 1]
    for r in rows:
        assert r.sec_per_iter > 0 and r.peak_mem_mib >= 0
        assert r.img_per_sec == pytest.approx(1 / r.sec_per_iter)
    table = table_rows(rows, 'FRS')
    ref = rows[0].sec_per_iter + rows[1].sec_per_iter
    assert table[0]['name'] == 'student + teacher fwd'
    assert table[0]['time_ratio'] == pytest.approx(1.0)
    frs = rows[-1]
    for row in table[1:]:
        assert row['time_ratio'] == pytest.approx(row['sec_per_iter'] / ref)
        assert row['time_vs_ref'] == pytest.approx(row['sec_per_iter'] /
                                                   frs.sec_per_iter)
    assert table[-1]['time_vs_ref'] == pytest.approx(1.0)
    text = format_table(rows, 'FRS')
    assert len(text.splitlines()) == 2 + len(rows) + 1
    assert 't/FRS' in text.splitlines()[0]
    # without the reference row the extra columns are left out
    assert 't/FRS' not in format_table(rows[:-1], 'FRS')


def test_cli_help():
    out = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark_distill.py', '-h'],
        capture_output=True, text=True, check=True).stdout
    for flag in ('--iters', '--warmup', '--device', '--batch-size',
                 '--img-size', '--baselines', '--cfg-options'):
        assert flag in out
