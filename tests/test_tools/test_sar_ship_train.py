"""Every synthetic-set config of configs/sar_ship_cls trains, checkpoints,
resumes and evaluates through the runner behind tools/train.py; the
distillation configs use the teacher of the session's tiny system run."""
import os.path as osp

import pytest
import torch

from tests.test_tools.test_sar_ship_system import tiny_system

SYNTHETIC = [
    'shipcnn', 'vgg16', 'resnet50', 'resnet18',
    'kd_resnet50-shipcnn', 'ifkd-feat_resnet50-shipcnn',
    'kd-ifkd_resnet50-shipcnn', 'kd_resnet50-resnet18',
    'ifkd-feat_resnet50-resnet18', 'kd-ifkd_resnet50-resnet18'
]


def options(data_root, epochs, teacher_ckpt=None):
    root = data_root.rstrip('/') + '/'
    opts = {
        'train_dataloader.dataset.data_root': root,
        'val_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
        'train_dataloader.batch_size': 8,
        'train_cfg.max_epochs': epochs,
        'train_cfg.val_interval': 1,
        'param_scheduler.end': 2,
        'default_hooks.checkpoint.max_keep_ckpts': -1,
        'default_hooks.logger.interval': 1,
        'randomness.seed': 0,
    }
    if teacher_ckpt:
        opts['model.teacher_ckpt'] = teacher_ckpt
    return opts


@pytest.mark.parametrize('arch', SYNTHETIC)
def test_synthetic_config_trains_resumes_and_evaluates(arch, tmp_path):
    from ifkd.engine.launch import train
    from ifkd.engine.systems.sar_ship import TEACHER
    work, data, _ = tiny_system()
    name = f'{arch}_1xb32_synthetic-sar-ship'
    teacher = (osp.join(work, TEACHER, 'epoch_1.pth')
               if '_resnet50-' in arch else None)
    config = osp.join('configs', 'sar_ship_cls', name + '.py')
    run = str(tmp_path)
    first = train(config, run, cfg_options=options(data, 1, teacher))
    iters = first.iter  # one epoch of 24 train chips at batch 8
    assert iters == 3
    acc = first.message_hub.get_scalar('val/cls/accuracy').current()
    assert 0 <= acc <= 100
    ckpt1 = torch.load(osp.join(run, 'epoch_1.pth'))
    assert ckpt1['meta']['epoch'] == 1 and ckpt1['meta']['iter'] == 3
    # resume: continues at epoch 2 with the saved weights and optimizer
    second = train(config, run, resume='auto',
                   cfg_options=options(data, 2, teacher))
    assert second.epoch == 2 and second.iter == 2 * iters
    ckpt2 = torch.load(osp.join(run, 'epoch_2.pth'))
    assert ckpt2['meta']['iter'] == 6
    momentum = ckpt2['optimizer']['state']
    assert momentum, 'the optimizer state was not saved'
    moved = [
        k for k, v in ckpt1['state_dict'].items()
        if v.is_floating_point() and not torch.equal(
            v, ckpt2['state_dict'][k])
    ]
    assert moved, 'resumed training did not update any weight'
    if teacher:  # the frozen teacher is never trained
        tw = torch.load(teacher)['state_dict']
        for key, value in tw.items():
            assert torch.equal(ckpt2['state_dict']['teacher.' + key], value)
    acc2 = second.message_hub.get_scalar('val/cls/accuracy').current()
    assert 0 <= acc2 <= 100
