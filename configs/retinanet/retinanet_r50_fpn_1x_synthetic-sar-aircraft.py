_base_ = [
    '../_base_/models/retinanet_r50_fpn.py',
    '../_base_/datasets/synthetic_sar_aircraft_detection.py',
    '../_base_/schedules/schedule_1x_synthetic.py', '../_base_/default_runtime.py'
]
# The synthetic set runs offline: no ImageNet weights.
model = dict(
    backbone=dict(init_cfg=None),
    bbox_head=dict(num_classes=7))
optim_wrapper = dict(optimizer=dict(lr=0.01))
