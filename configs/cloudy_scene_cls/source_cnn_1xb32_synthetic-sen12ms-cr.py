# Source model: cloud-free optical (clear S2, all 13 bands), labelled.
_base_ = [
    './_base_/models/cnn.py', './_base_/datasets/synthetic-sen12ms-cr_source.py',
    './_base_/schedule_synthetic.py', './_base_/default_runtime.py'
]
# The source is trained once and longer than the students.
max_epochs = 20
param_scheduler = dict(end=max_epochs)
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
