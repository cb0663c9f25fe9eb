_base_ = [
    './_base_/models/resnet18.py',
    './_base_/datasets/synthetic-sar-ship_bs32.py',
    './_base_/schedules/synthetic_sgd_20e.py', './_base_/default_runtime.py'
]

# Synthetic set: from scratch (no download), small chips.
# Small-image stem (3x3 conv, stride 1, no max-pool), as the synthetic teacher.
model = dict(backbone=dict(type='ResNet_CIFAR'))
