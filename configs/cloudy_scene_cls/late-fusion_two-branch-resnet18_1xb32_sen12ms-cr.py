# Baseline naive late fusion on real data: the source (on the cloudy
# optical tile) teaches the two-branch optical + SAR target in one step,
# soft KD on the fused logits, no filtering, no regulation.
_base_ = [
    './_base_/datasets/sen12ms-cr_target.py', './_base_/schedules/sgd_20e.py',
    '../sar_ship_cls/_base_/default_runtime.py',
    './_base_/distillers/pseudo_label_kd.py'
]
model = dict(
    type='ifkd.CrossModalDistill',
    architecture=dict(
        cfg_path='{{fileDirname}}/two-branch_resnet18_1xb32_sen12ms-cr.py'),
    teacher=dict(
        cfg_path='{{fileDirname}}/source_resnet50_1xb32_sen12ms-cr.py'),
    teacher_ckpt='work_dirs/source_resnet50_1xb32_sen12ms-cr/epoch_30.pth',
    teacher_modality='opt',
    student_modality=('opt', 'sar'),
    preprocessors=dict(
        opt=dict(type='mmpretrain.ClsDataPreprocessor'),
        sar=dict(type='mmpretrain.ClsDataPreprocessor')),
    calculate_student_loss=False,
    distiller=dict(
        student_recorders=dict(s_logits=dict(source='head')),
        distill_losses=dict(loss_pl=dict(hard_weight=0.0,
                                         log_name='late_fusion'))))
