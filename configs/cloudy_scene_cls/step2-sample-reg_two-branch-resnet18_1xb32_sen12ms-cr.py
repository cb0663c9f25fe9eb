# Step 2 on real data, the full method: both step-1 ResNet-18 auxiliaries
# teach the two-branch ResNet-18 target, unfiltered, with per-sample
# modality regulation (ifkd.SampleModalityRegulation).
_base_ = [
    './_base_/datasets/sen12ms-cr_target.py', './_base_/schedules/sgd_20e.py',
    '../sar_ship_cls/_base_/default_runtime.py',
    './_base_/distillers/multi_teacher_kd.py'
]
work = 'work_dirs/'
opt_aux_ckpt = work + 'step1-opt_resnet18_1xb32_sen12ms-cr/epoch_20.pth'
sar_aux_ckpt = work + 'step1-sar_resnet18_1xb32_sen12ms-cr/epoch_20.pth'
regulation = dict(type='ifkd.SampleModalityRegulation', alpha=0.5)
model = dict(
    type='ifkd.MultiTeacherCrossModalDistill',
    architecture=dict(
        cfg_path='{{fileDirname}}/two-branch_resnet18_1xb32_sen12ms-cr.py',
        cfg_options=dict(regulation=regulation)),
    teachers=dict(
        opt=dict(model=dict(
            cfg_path='{{fileDirname}}/opt_resnet18_1xb32_sen12ms-cr.py'),
                 ckpt=opt_aux_ckpt),
        sar=dict(model=dict(
            cfg_path='{{fileDirname}}/sar_resnet18_1xb32_sen12ms-cr.py'),
                 ckpt=sar_aux_ckpt)),
    student_modality=('opt', 'sar'),
    preprocessors=dict(
        opt=dict(type='mmpretrain.ClsDataPreprocessor'),
        sar=dict(type='mmpretrain.ClsDataPreprocessor')),
    calculate_student_loss=False)
