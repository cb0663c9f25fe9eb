"""Both detectors through the standard train/test entry points on CPU:
train, checkpoint, resume, evaluate; plus stock mmdet's tools/train.py."""
import glob
import os.path as osp
import subprocess
import sys
import warnings

import mmdet
import pytest
import torch
from mmengine.config import Config

from ifkd.engine import launch
from ifkd.engine.checks import check_config, check_from_scratch
from tests.conftest import config_path, tiny_options

# Keep every detection of a barely trained model, so mAP is computed.
KEEP_ALL = {
    'retinanet': {'model.test_cfg.score_thr': 0.0},
    'faster_rcnn': {'model.test_cfg.rcnn.score_thr': 0.0},
}
CONFIGS = {
    'retinanet': 'retinanet/retinanet_r18_fpn_1x_synthetic-sar-aircraft.py',
    'faster_rcnn':
    'faster_rcnn/faster-rcnn_r18_fpn_1x_synthetic-sar-aircraft.py',
}


def _read(path):
    with open(path) as f:
        return f.read()


@pytest.mark.parametrize('detector', sorted(CONFIGS))
def test_train_checkpoint_resume_evaluate(detector, synthetic_root,
                                          tmp_path):
    cfg = config_path(CONFIGS[detector])
    work = str(tmp_path / detector)
    launch.train(cfg, work_dir=work, cfg_options=tiny_options(synthetic_root, 1))
    ckpt1 = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt1)

    # Resume to epoch 2: only the second epoch may run.
    runner = launch.train(cfg, work_dir=work, resume='auto',
                   cfg_options=tiny_options(synthetic_root, 2))
    assert runner.epoch == 2 and runner.iter == 4
    log = _read(sorted(glob.glob(osp.join(work, '*', '*.log')))[-1])
    assert 'resumed epoch: 1, iter: 2' in log
    assert 'Epoch(train) [2]' in log and 'Epoch(train) [1]' not in log
    w1 = torch.load(ckpt1)['state_dict']
    w2 = torch.load(osp.join(work, 'epoch_2.pth'))['state_dict']
    changed = [k for k in w1 if not torch.equal(w1[k], w2[k])]
    assert changed, 'the resumed epoch did not update any weight'
    assert torch.load(osp.join(work, 'epoch_2.pth'))['meta']['epoch'] == 2

    metrics = launch.test(cfg, osp.join(work, 'epoch_2.pth'),
                          work_dir=str(tmp_path / 'test'),
                          cfg_options={**tiny_options(synthetic_root),
                                       **KEEP_ALL[detector]})
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75'):
        assert 0.0 <= metrics[key] <= 1.0
    assert metrics['coco/bbox_mAP_50'] >= metrics['coco/bbox_mAP_75']


def test_num_classes_mismatch_fails_early(synthetic_root, tmp_path):
    opts = tiny_options(synthetic_root)
    opts['model.bbox_head.num_classes'] = 3
    with pytest.raises(ValueError, match='num_classes mismatch.*7'):
        launch.train(config_path(CONFIGS['retinanet']), work_dir=str(tmp_path),
              cfg_options=opts)


def test_in_process_runs_log_into_their_own_work_dirs(synthetic_root,
                                                     tmp_path):
    # mmdet's configs name the visualizer 'visualizer', and mmengine reuses
    # a named instance: without ifkd's fix the second run's validation
    # scalars would land in the first run's folder.
    opts = {**tiny_options(synthetic_root),
            'train_dataloader.dataset.indices': 2}
    for run in ('a', 'b'):
        launch.train(config_path(CONFIGS['retinanet']),
                     work_dir=str(tmp_path / run), cfg_options=opts)
    for run in ('a', 'b'):
        (scalars, ) = glob.glob(str(tmp_path / run / '*' / 'vis_data' /
                                    'scalars.json'))
        assert 'coco/bbox_mAP' in _read(scalars), run


def test_frozen_random_backbone_warns(recwarn):
    cfg = launch.load_config(config_path(CONFIGS['retinanet']))
    check_config(cfg)
    assert not [w for w in recwarn if 'random weights' in str(w.message)]
    cfg.merge_from_dict({'model.backbone.frozen_stages': 1})
    with pytest.warns(UserWarning, match='frozen_stages=1.*frozen_stages=-1'):
        check_config(cfg)
    # the same backbone with pretrained weights, or a full checkpoint: fine
    cfg.load_from = 'whatever.pth'
    check_config(Config(cfg.to_dict()))
    assert not [w for w in recwarn if 'random weights' in str(w.message)]


def test_every_synthetic_config_trains_its_backbone_from_scratch():
    paths = glob.glob(config_path('**/*synthetic-sar-aircraft.py'),
                      recursive=True)
    assert len(paths) >= 30
    with warnings.catch_warnings():
        warnings.filterwarnings('error', message='.*random weights')
        for path in paths:
            check_from_scratch(launch.load_config(path))


def _cli_options(opts):
    out = []
    for k, v in opts.items():
        if isinstance(v, tuple):
            v = '(' + ','.join(map(str, v)) + ')'
        out.append(f'{k}={v}')
    return out


def test_stock_mmdet_train_tool_runs_ifkd_config(synthetic_root, tmp_path):
    stock = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools',
                     'train.py')
    assert osp.isfile(stock)
    work = tmp_path / 'stock'
    proc = subprocess.run(
        [sys.executable, stock,
         config_path(CONFIGS['retinanet']), '--work-dir', str(work),
         '--cfg-options', *_cli_options(tiny_options(synthetic_root))],
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert osp.isfile(work / 'epoch_1.pth')


def test_ifkd_train_and_test_cli(synthetic_root, tmp_path):
    cfg = config_path(CONFIGS['retinanet'])
    opts = _cli_options({**tiny_options(synthetic_root),
                         **KEEP_ALL['retinanet']})
    work = tmp_path / 'cli'
    subprocess.run([sys.executable, 'tools/train.py', cfg, '--work-dir',
                    str(work), '--cfg-options', *opts], check=True,
                   capture_output=True)
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', cfg, str(work / 'epoch_1.pth'),
         '--work-dir', str(tmp_path / 'cli_test'), '--out',
         str(tmp_path / 'preds.pkl'), '--show-dir', 'vis', '--cfg-options',
         *opts], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'coco/bbox_mAP' in proc.stdout + proc.stderr
    assert osp.isfile(tmp_path / 'preds.pkl')
    assert glob.glob(str(tmp_path / 'cli_test' / '*' / 'vis' / '*.jpg'))
