# Stage 2 with the seed's backbone: the frozen EO ViT-B/32 teaches the SAR
# ViT-B/32 (tau^2 * KL on the logits of the heads' last linear layer).
_base_ = [
    './vit-base-p32-clip_1xb64_mavoc-sar.py',
    '../sar_ship_cls/_base_/distillers/kd_logits.py'
]
teacher_cfg = '{{fileDirname}}/vit-base-p32-clip_1xb64-focal_mavoc-eo.py'
teacher_ckpt = 'work_dirs/vit-base-p32-clip_1xb64-focal_mavoc-eo/epoch_30.pth'

logits = dict(type='mmrazor.ModuleOutputs', source='head.layers.head')
model = dict(
    _delete_=True,
    type='ifkd.CrossModalDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=teacher_cfg),
    teacher_ckpt=teacher_ckpt,
    teacher_modality='eo',
    student_modality='sar',
    distiller=dict(
        _base_.distiller,
        student_recorders=dict(s_logits=logits),
        teacher_recorders=dict(t_logits=logits)))
train_dataloader = dict(
    dataset=dict(
        modalities=('eo', 'sar'), pipeline=_base_.paired_train_pipeline))
