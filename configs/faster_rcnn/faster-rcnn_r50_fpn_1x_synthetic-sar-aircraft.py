_base_ = [
    '../_base_/models/faster-rcnn_r50_fpn.py',
    '../_base_/datasets/synthetic_sar_aircraft_detection.py',
    '../_base_/schedules/schedule_1x_synthetic.py', '../_base_/default_runtime.py'
]
# The synthetic set runs offline: no ImageNet weights. From scratch, BN must
# learn its statistics and no stage may stay frozen at random init.
# Small images with a few aircraft each: fewer proposals and sampled RoIs
# than mmdet's defaults, which are sized for 1333 x 800 COCO images and
# would make the RoI head dominate a CPU step here.
model = dict(
    backbone=dict(init_cfg=None, frozen_stages=-1, norm_eval=False),
    roi_head=dict(bbox_head=dict(num_classes=7)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=500, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300)))
# From scratch at batch 4, mmdet's lr 0.02 (set for batch 16) makes the
# ResNet50 teacher diverge within 20 iterations: halve it, as the RetinaNet
# synthetic configs do (the schedule clips the gradient norm).
optim_wrapper = dict(optimizer=dict(lr=0.01))
