# Optical auxiliary on its own (real data): cloudy S2 as 'img', ImageNet
# ResNet-18. Trained with labels it is the supervised reference; distilled
# step-1 / KD-S students are exported and tested with this config.
_base_ = [
    './_base_/models/resnet18_sen12ms-cr.py',
    './_base_/datasets/sen12ms-cr_single.py', './_base_/schedules/sgd_20e.py',
    '../sar_ship_cls/_base_/default_runtime.py'
]
