# Source model on real SEN12MS-CR: cloud-free optical (clear S2, the
# selected bands), labelled, ImageNet ResNet-50. Trained first, and longer
# than the students (30 epochs).
_base_ = [
    './_base_/models/resnet50_sen12ms-cr.py',
    './_base_/datasets/sen12ms-cr_source.py',
    '../sar_ship_cls/_base_/schedules/sar-ship_sgd_30e.py',
    '../sar_ship_cls/_base_/default_runtime.py'
]
