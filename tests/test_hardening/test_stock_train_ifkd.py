"""An IFKD distillation config runs under the stock ``tools/train.py``
shipped inside the installed mmdet package (not ifkd's own entry point)."""
import glob
import os.path as osp
import re
import subprocess
import sys

import mmdet
import torch

from ifkd.engine.launch import load_config
from tests.conftest import config_path, tiny_options

IFKD = 'ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft.py'


def _teacher_checkpoint(path: str) -> str:
    """The teacher's weights as mmengine saves them (untrained: the test is
    about the entry point, not the numbers)."""
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    cfg = load_config(config_path(IFKD))
    teacher = load_config(cfg.model.teacher.cfg_path).model
    torch.manual_seed(0)
    torch.save(dict(meta=dict(epoch=12), state_dict=MODELS.build(
        teacher).state_dict()), path)
    return path


def _cli(options: dict) -> list:
    out = []
    for key, value in options.items():
        if isinstance(value, tuple):
            value = '(' + ','.join(map(str, value)) + ')'
        out.append(f'{key}={value}')
    return out


def test_stock_mmdet_train_runs_ifkd(synthetic_root, sam_checkpoint,
                                     tmp_path):
    stock = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools',
                     'train.py')
    assert osp.isfile(stock)
    options = {
        **tiny_options(synthetic_root),
        'train_dataloader.dataset.indices': 2,  # one iteration of batch 2
        'model.teacher_ckpt': _teacher_checkpoint(str(tmp_path / 't.pth')),
        'model.distiller.sam_checkpoint': sam_checkpoint,
        'model.distiller.sam_cache.dir': str(tmp_path / 'sam_cache'),
    }
    work = tmp_path / 'work'
    proc = subprocess.run(
        [sys.executable, stock, config_path(IFKD), '--work-dir', str(work),
         '--cfg-options', *_cli(options)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    state = torch.load(work / 'epoch_1.pth')['state_dict']
    # the distiller's learnable parts trained and saved, the student too
    assert 'distiller.connectors.t_fdr0.log_w' in state
    assert any(k.startswith('architecture.backbone.') for k in state)
    (log, ) = glob.glob(str(work / '*' / '*.log'))
    text = open(log).read()
    losses = re.findall(r'distill\.loss_feat_fpn0: (\S+)', text)
    assert losses and all(float(v) > 0 for v in losses), text[-2000:]
    # the SAM cache was filled by this run (2 images, flip state each)
    assert glob.glob(str(tmp_path / 'sam_cache' / '**' / '*.npy'),
                     recursive=True)
