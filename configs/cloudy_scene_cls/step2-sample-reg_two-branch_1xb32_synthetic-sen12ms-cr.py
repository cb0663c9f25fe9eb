# Step 2, the full method: both step-1 auxiliaries teach the two-branch
# target, unfiltered, with per-sample modality regulation
# (ifkd.SampleModalityRegulation; see its docstring for the formula).
_base_ = [
    './_base_/datasets/synthetic-sen12ms-cr_target.py',
    './_base_/schedule_synthetic.py', './_base_/default_runtime.py',
    './_base_/distillers/multi_teacher_kd.py'
]
work = 'work_dirs/'
opt_aux_ckpt = work + 'step1-opt_cnn_1xb32_synthetic-sen12ms-cr/epoch_10.pth'
sar_aux_ckpt = work + 'step1-sar_cnn_1xb32_synthetic-sen12ms-cr/epoch_10.pth'
regulation = dict(type='ifkd.SampleModalityRegulation', alpha=0.5)
model = dict(
    type='ifkd.MultiTeacherCrossModalDistill',
    architecture=dict(
        cfg_path='{{fileDirname}}/two-branch_cnn_1xb32_synthetic-sen12ms-cr.py',
        cfg_options=dict(regulation=regulation)),
    teachers=dict(
        opt=dict(model=dict(cfg_path='{{fileDirname}}/opt_cnn_1xb32_synthetic-sen12ms-cr.py'),
                 ckpt=opt_aux_ckpt),
        sar=dict(model=dict(cfg_path='{{fileDirname}}/sar_cnn_1xb32_synthetic-sen12ms-cr.py'),
                 ckpt=sar_aux_ckpt)),
    student_modality=('opt', 'sar'),
    preprocessors=dict(
        opt=dict(type='mmpretrain.ClsDataPreprocessor'),
        sar=dict(type='mmpretrain.ClsDataPreprocessor')),
    calculate_student_loss=False)
