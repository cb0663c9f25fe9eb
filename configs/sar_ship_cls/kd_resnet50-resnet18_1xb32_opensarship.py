_base_ = [
    './resnet18_1xb32_opensarship.py',
    './_base_/distillers/kd_logits.py'
]
# The teacher's own training config and its final checkpoint.
teacher_cfg = '{{fileDirname}}/resnet50_1xb32_opensarship.py'
teacher_ckpt = 'work_dirs/resnet50_1xb32_opensarship/epoch_30.pth'

model = dict(
    _delete_=True,
    type='ifkd.ClassificationDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=teacher_cfg),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.distiller)
