_base_ = [
    './shipcnn_1xb32_mixed-sar-ship.py',
    './_base_/distillers/ifkd_feat.py'
]
# The teacher's own training config and its final checkpoint.
teacher_cfg = '{{fileDirname}}/resnet50_1xb32_mixed-sar-ship.py'
teacher_ckpt = 'work_dirs/resnet50_1xb32_mixed-sar-ship/epoch_30.pth'

model = dict(
    _delete_=True,
    type='ifkd.ClassificationDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=teacher_cfg),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.distiller)
# FDR works at the teacher's width; the adapter maps the student's last map
# onto it (its map is 4x finer: 4x4 average pooling, then a 1x1 conv).
model['distiller']['connectors']['t_fdr'].update(in_channels=2048)
model['distiller']['connectors']['s_adapt'].update(
    type='ifkd.PooledConvConnector', pool=4, in_channel=256,
    out_channel=2048)
# FDR's filter as its own param group (see _base_/distillers/ifkd_feat.py).
optim_wrapper = dict(paramwise_cfg=_base_.fdr_paramwise_cfg)
