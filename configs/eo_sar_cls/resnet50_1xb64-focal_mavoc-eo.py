# Stage 1 on MAVOC: the EO teacher, ResNet50 from ImageNet weights, softmax
# focal loss (gamma 0.5) and a class-balanced sampler, as in the seed.
_base_ = [
    './_base_/models/resnet50_mavoc.py', './_base_/datasets/mavoc-eo_bs64.py',
    '../sar_ship_cls/_base_/schedules/sar-ship_sgd_30e.py',
    '../sar_ship_cls/_base_/default_runtime.py'
]

model = dict(
    head=dict(
        loss=dict(_delete_=True, type='ifkd.SoftmaxFocalLoss', gamma=0.5)))
