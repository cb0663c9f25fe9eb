_base_ = [
    '../_base_/models/retinanet_r50_fpn.py',
    '../_base_/datasets/shiprs_detection.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
model = dict(bbox_head=dict(num_classes=50))
optim_wrapper = dict(optimizer=dict(lr=0.01))
