# Stage 1: the optical teacher (DeepLabV3+) on SpaceNet 6's optical
# channels (R, G, B, NIR).
_base_ = [
    './_base_/models/deeplabv3plus_effb3-d16.py',
    './_base_/datasets/spacenet6-optical_512px.py',
    './_base_/schedules/sgd-poly.py', './_base_/default_runtime.py'
]
