# The 1x schedule for the small synthetic set: it has few iterations per
# epoch, so warm up over 50 iterations instead of 500.
_base_ = './schedule_1x.py'

param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        begin=0,
        end=12,
        by_epoch=True,
        milestones=[8, 11],
        gamma=0.1)
]
