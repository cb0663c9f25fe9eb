# Stage 1: the optical teacher (DeepLabV3+) on the synthetic tiles' optical
# channels (R, G, B, NIR).
_base_ = [
    './_base_/models/deeplabv3plus_r18-slim-d8.py',
    './_base_/datasets/synthetic-spacenet6-optical_64px.py',
    './_base_/schedules/sgd-poly.py', './_base_/default_runtime.py'
]
