# The SAR-only baseline: the teacher's architecture trained on SAR alone,
# with the students' batch size.
_base_ = [
    './_base_/models/deeplabv3plus_effb3-d16.py',
    './_base_/datasets/spacenet6-sar_512px.py',
    './_base_/schedules/sgd-poly.py', './_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=8)
