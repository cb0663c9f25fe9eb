# Optical auxiliary on its own: cloudy S2 (13 bands) as 'img'. Trained
# with labels it is the supervised reference; distilled step-1 / KD-S
# students are exported and tested with this config.
_base_ = [
    './_base_/models/cnn.py', './_base_/datasets/synthetic-sen12ms-cr_single.py',
    './_base_/schedule_synthetic.py', './_base_/default_runtime.py'
]
