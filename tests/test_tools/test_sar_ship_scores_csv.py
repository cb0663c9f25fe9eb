"""tools/test.py writes the seed's scores.csv for classification configs."""
import csv
import os.path as osp

import pytest

from tests.test_tools.test_sar_ship_system import tiny_system


def test_test_tool_writes_scores_csv_into_its_work_dir(tmp_path):
    from ifkd.engine.launch import test
    from ifkd.engine.systems.sar_ship import TEACHER
    work, data, _ = tiny_system()
    name = 'resnet50_1xb32_synthetic-sar-ship'
    root = data.rstrip('/') + '/'
    metrics = test(
        osp.join('configs', 'sar_ship_cls', name + '.py'),
        osp.join(work, TEACHER, 'epoch_1.pth'), str(tmp_path / 'run'),
        cfg_options={'test_dataloader.dataset.data_root': root})
    path = tmp_path / 'run' / 'scores.csv'
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1
    row = rows[0]
    assert row['Model'] == name
    assert float(row['Accuracy']) == pytest.approx(
        metrics['cls/accuracy'], abs=0.006)
    assert float(row['F1']) == pytest.approx(
        metrics['cls/weighted_f1'], abs=0.006)
