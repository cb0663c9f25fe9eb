# The SAR student alone on the synthetic set (cross-entropy, shuffled
# long-tailed data); also the student config that tests, fine-tunes and
# runs inference on every exported (distilled) student.
_base_ = [
    './_base_/models/resnet18-w8_sar.py',
    './_base_/datasets/synthetic-eo-sar_bs32.py',
    '../sar_ship_cls/_base_/schedules/synthetic_sgd_20e.py',
    '../sar_ship_cls/_base_/default_runtime.py'
]
