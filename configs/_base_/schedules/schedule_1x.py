# The paper's 1x schedule: 12 epochs, LR steps at 8 and 11.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=12,
        by_epoch=True,
        milestones=[8, 11],
        gamma=0.1)
]

# Every detector, student and distillation row clips alike, so comparisons
# stay like for like: distillation losses can dwarf the detection loss early
# on, and from-scratch detectors at lr 0.01 diverge without it (the usual
# gradient norm is ~2, so 35 only catches blow-ups).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=35, norm_type=2))

# base_batch_size = 8 GPUs x 2 images; use --auto-scale-lr on fewer GPUs.
auto_scale_lr = dict(enable=False, base_batch_size=16)
