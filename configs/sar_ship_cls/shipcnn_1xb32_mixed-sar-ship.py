_base_ = [
    './_base_/models/shipcnn.py',
    './_base_/datasets/mixed-sar-ship_bs32.py',
    './_base_/schedules/sar-ship_sgd_30e.py', './_base_/default_runtime.py'
]

# No ImageNet weights exist for this CNN: it trains from scratch.
