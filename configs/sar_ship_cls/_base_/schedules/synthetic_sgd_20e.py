# From-scratch schedule of the synthetic-set configs, sized for a CPU. Every
# synthetic config (plain and distilled) uses the same optimiser, schedule
# and gradient clipping, so that their results compare.
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4,
        nesterov=True),
    clip_grad=dict(max_norm=5.0, norm_type=2))
param_scheduler = dict(
    type='CosineAnnealingLR',
    by_epoch=True,
    begin=0,
    end=20,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=20)
val_cfg = dict()
test_cfg = dict()
