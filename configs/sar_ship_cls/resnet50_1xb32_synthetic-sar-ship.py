_base_ = [
    './_base_/models/resnet50.py',
    './_base_/datasets/synthetic-sar-ship_bs32.py',
    './_base_/schedules/synthetic_sgd_20e.py', './_base_/default_runtime.py'
]

# Synthetic set: from scratch (no download), small chips.
# Output stride 8 (layers 3 and 4 dilated instead of strided), so that the
# last map keeps 4 x 4 locations of a 32 px chip, as the student's; a
# quarter of the width keeps the teacher trainable on a CPU.
model = dict(
    backbone=dict(
        stem_channels=16,
        base_channels=16,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4)),
    head=dict(in_channels=512))
