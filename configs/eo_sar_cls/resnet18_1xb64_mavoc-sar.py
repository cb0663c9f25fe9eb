# The SAR student alone on MAVOC (ResNet18 from ImageNet weights); also the
# config that tests, fine-tunes and runs inference on the exported
# distilled student.
_base_ = [
    './_base_/models/resnet18_mavoc.py', './_base_/datasets/mavoc_bs64.py',
    '../sar_ship_cls/_base_/schedules/sar-ship_sgd_30e.py',
    '../sar_ship_cls/_base_/default_runtime.py'
]
