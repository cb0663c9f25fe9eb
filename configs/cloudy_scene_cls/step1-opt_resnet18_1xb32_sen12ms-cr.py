# Step 1, optical auxiliary (real data): the source ResNet-50 sees the
# cloudy optical tile and teaches an ImageNet ResNet-18 on the same tile
# through pseudo-labels kept where its confidence reaches `threshold`
# (soft KD + hard pseudo-label CE; kept fraction logged). No target labels.
_base_ = [
    './_base_/datasets/sen12ms-cr_target.py', './_base_/schedules/sgd_20e.py',
    '../sar_ship_cls/_base_/default_runtime.py',
    './_base_/distillers/pseudo_label_kd.py'
]
threshold = 0.9
source_ckpt = 'work_dirs/source_resnet50_1xb32_sen12ms-cr/epoch_30.pth'
model = dict(
    type='ifkd.CrossModalDistill',
    architecture=dict(
        cfg_path='{{fileDirname}}/opt_resnet18_1xb32_sen12ms-cr.py'),
    teacher=dict(
        cfg_path='{{fileDirname}}/source_resnet50_1xb32_sen12ms-cr.py'),
    teacher_ckpt=source_ckpt,
    teacher_modality='opt',
    student_modality='opt',
    calculate_student_loss=False,
    distiller=dict(distill_losses=dict(loss_pl=dict(
        threshold=threshold, log_name='step1_opt'))))
