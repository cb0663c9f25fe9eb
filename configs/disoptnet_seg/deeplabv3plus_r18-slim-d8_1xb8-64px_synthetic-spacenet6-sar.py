# The SAR-only baseline: the teacher's architecture trained on SAR alone,
# with the students' batch size.
_base_ = [
    './_base_/models/deeplabv3plus_r18-slim-d8.py',
    './_base_/datasets/synthetic-spacenet6-sar_64px.py',
    './_base_/schedules/sgd-poly.py', './_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=8)
