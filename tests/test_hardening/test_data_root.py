"""One option moves all the data: ``IFKD_DATA_ROOT`` sets the data root of
the train, val and test dataloaders and of both evaluators together."""
import pytest

from ifkd.engine.launch import load_config
from tests.conftest import config_path

CONFIGS = {
    'retinanet/retinanet_r50_fpn_1x_sar-aircraft.py': 'data/SAR-AIRcraft-1.0/',
    'faster_rcnn/faster-rcnn_r18_fpn_1x_shiprs.py':
    'data/ShipRSImageNet_V1/VOC_Format/',
    'retinanet/retinanet_mbv2_fpn_1x_synthetic-sar-aircraft.py':
    'data/synthetic-sar-aircraft/',
    'ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft.py':
    'data/synthetic-sar-aircraft/',
    'baselines/fgd_faster-rcnn_r50-r18_fpn_1x_shiprs.py':
    'data/ShipRSImageNet_V1/VOC_Format/',
}


def data_roots(cfg) -> dict:
    """The five places that name the data."""
    return {
        'train_dataloader': cfg.train_dataloader.dataset.data_root,
        'val_dataloader': cfg.val_dataloader.dataset.data_root,
        'test_dataloader': cfg.test_dataloader.dataset.data_root,
        'val_evaluator': cfg.val_evaluator.data_root,
        'test_evaluator': cfg.test_evaluator.data_root,
    }


@pytest.mark.parametrize('config', sorted(CONFIGS))
def test_one_variable_moves_all_five(config, monkeypatch, tmp_path):
    other = str(tmp_path / 'elsewhere') + '/'
    monkeypatch.delenv('IFKD_DATA_ROOT', raising=False)
    default = data_roots(load_config(config_path(config)))
    assert set(default.values()) == {CONFIGS[config]}

    monkeypatch.setenv('IFKD_DATA_ROOT', other)
    # together with ordinary --cfg-options, as a user runs it
    cfg = load_config(config_path(config),
                      cfg_options={'train_dataloader.batch_size': 1})
    assert data_roots(cfg) == dict.fromkeys(default, other)
    assert cfg.train_dataloader.batch_size == 1


def test_per_key_options_miss_the_test_set(monkeypatch):
    """Why one variable: the per-key --cfg-options recipe has to name all
    five places; naming the train and val ones leaves the test set behind
    (test_dataloader and test_evaluator are copies once parsed)."""
    monkeypatch.delenv('IFKD_DATA_ROOT', raising=False)
    config = 'retinanet/retinanet_r50_fpn_1x_sar-aircraft.py'
    cfg = load_config(config_path(config), cfg_options={
        'train_dataloader.dataset.data_root': '/x/',
        'val_dataloader.dataset.data_root': '/x/',
        'val_evaluator.data_root': '/x/'})
    roots = data_roots(cfg)
    assert roots['test_dataloader'] == roots['test_evaluator'] == CONFIGS[
        config]
