# Stage 2 on MAVOC: the frozen EO ResNet50 teaches the SAR ResNet18 with
# tau^2 * KL on temperature-scaled logits (plus the student's CE), one
# geometric draw per EO/SAR pair.
_base_ = [
    './resnet18_1xb64_mavoc-sar.py',
    '../sar_ship_cls/_base_/distillers/kd_logits.py'
]
teacher_cfg = '{{fileDirname}}/resnet50_1xb64-focal_mavoc-eo.py'
teacher_ckpt = 'work_dirs/resnet50_1xb64-focal_mavoc-eo/epoch_30.pth'

model = dict(
    _delete_=True,
    type='ifkd.CrossModalDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=teacher_cfg),
    teacher_ckpt=teacher_ckpt,
    teacher_modality='eo',
    student_modality='sar',
    distiller=_base_.distiller)
train_dataloader = dict(
    dataset=dict(
        modalities=('eo', 'sar'), pipeline=_base_.paired_train_pipeline))
