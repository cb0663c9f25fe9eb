_base_ = [
    '../retinanet/retinanet_mbv2_fpn_1x_synthetic-sar-aircraft.py',
    '../baselines/_base_/at_retinanet_distiller.py'
]
# The teacher's own training config and its final checkpoint.
teacher_cfg = '{{fileDirname}}/../retinanet/retinanet_r50_fpn_1x_synthetic-sar-aircraft.py'
teacher_ckpt = 'work_dirs/retinanet_r50_fpn_1x_synthetic-sar-aircraft/epoch_12.pth'

model = dict(
    _delete_=True,
    type='ifkd.DetectionDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=teacher_cfg),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.distiller)
