# Stage 2: EO -> SAR distillation (the seed's README): the frozen EO teacher
# sees the EO chip, the SAR student the SAR chip of the same vehicle (one
# geometric draw per pair); the student learns from its labels
# (cross-entropy) and from tau^2 * KL(softmax(t / tau) || softmax(s / tau)).
# Validation and test run the student alone on SAR.
_base_ = [
    './resnet18-w8_1xb32_synthetic-sar.py',
    '../sar_ship_cls/_base_/distillers/kd_logits.py'
]
# The teacher's own training config and its final checkpoint (stage 1).
teacher_cfg = '{{fileDirname}}/resnet18-w8_1xb32-focal_synthetic-eo.py'
teacher_ckpt = 'work_dirs/resnet18-w8_1xb32-focal_synthetic-eo/epoch_20.pth'

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
