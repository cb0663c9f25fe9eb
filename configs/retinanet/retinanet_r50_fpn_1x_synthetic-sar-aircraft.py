_base_ = [
    '../_base_/models/retinanet_r50_fpn.py',
    '../_base_/datasets/synthetic_sar_aircraft_detection.py',
    '../_base_/schedules/schedule_1x_synthetic.py', '../_base_/default_runtime.py'
]
# The synthetic set runs offline: no ImageNet weights. From scratch, BN must
# learn its statistics and no stage may stay frozen at random init.
model = dict(
    backbone=dict(init_cfg=None, frozen_stages=-1, norm_eval=False),
    bbox_head=dict(num_classes=7))
optim_wrapper = dict(optimizer=dict(lr=0.01))
