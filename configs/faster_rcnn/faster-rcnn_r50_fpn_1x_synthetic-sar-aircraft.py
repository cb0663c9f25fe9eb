_base_ = [
    '../_base_/models/faster-rcnn_r50_fpn.py',
    '../_base_/datasets/synthetic_sar_aircraft_detection.py',
    '../_base_/schedules/schedule_1x_synthetic.py', '../_base_/default_runtime.py'
]
# The synthetic set runs offline: no ImageNet weights.
model = dict(
    backbone=dict(init_cfg=None),
    roi_head=dict(bbox_head=dict(num_classes=7)))
