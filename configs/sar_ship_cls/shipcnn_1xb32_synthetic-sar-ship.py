_base_ = [
    './_base_/models/shipcnn.py',
    './_base_/datasets/synthetic-sar-ship_bs32.py',
    './_base_/schedules/synthetic_sgd_20e.py', './_base_/default_runtime.py'
]

# Synthetic set: from scratch (no download), small chips.
