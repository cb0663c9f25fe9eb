# Step 1, optical auxiliary: the source sees the cloudy optical tile and
# teaches a cloudy-optical CNN through pseudo-labels kept where its
# confidence reaches `threshold` (soft KD + hard pseudo-label CE). No
# labels of the target domain are used.
_base_ = [
    './_base_/datasets/synthetic-sen12ms-cr_target.py',
    './_base_/schedule_synthetic.py', './_base_/default_runtime.py',
    './_base_/distillers/pseudo_label_kd.py'
]
threshold = 0.9
source_ckpt = 'work_dirs/source_cnn_1xb32_synthetic-sen12ms-cr/epoch_20.pth'
model = dict(
    type='ifkd.CrossModalDistill',
    architecture=dict(cfg_path='{{fileDirname}}/opt_cnn_1xb32_synthetic-sen12ms-cr.py'),
    teacher=dict(cfg_path='{{fileDirname}}/source_cnn_1xb32_synthetic-sen12ms-cr.py'),
    teacher_ckpt=source_ckpt,
    teacher_modality='opt',
    student_modality='opt',
    calculate_student_loss=False,
    distiller=dict(distill_losses=dict(loss_pl=dict(
        threshold=threshold, log_name='step1_opt'))))
