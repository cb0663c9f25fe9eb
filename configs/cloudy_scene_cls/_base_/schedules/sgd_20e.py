# GPU fine-tuning schedule of the real SEN12MS-CR configs: SGD (lr 0.01 for
# one GPU with batch 32; mmengine's auto_scale_lr scales it), one warm-up
# epoch, cosine decay; the source model overrides max_epochs (30).
_base_ = ['../../../sar_ship_cls/_base_/schedules/sar-ship_sgd_30e.py']
max_epochs = 20
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
