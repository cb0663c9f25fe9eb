# Fine-tuning schedule of the real-data configs: SGD, one warm-up epoch,
# then cosine decay over 30 epochs.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=1,
        end=30,
        convert_to_iter_based=True)
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# lr is for one GPU with 32 chips a batch; see mmengine's auto_scale_lr.
auto_scale_lr = dict(base_batch_size=32)
