# Stage 2: the frozen optical teacher distils into the DisOptNet student.
# The teacher sees the optical channels, the student the SAR ones (one
# geometric pipeline for both); validation and test run the student alone
# on SAR. Export the student (tools/model_converters/export_student.py)
# and test it with its own config.
_base_ = [
    './_base_/datasets/spacenet6-sar-optical_512px.py',
    './_base_/schedules/sgd-poly.py', './_base_/default_runtime.py',
    './_base_/distillers/disoptnet.py'
]
student_cfg = ('{{fileDirname}}/'
               'disoptnet-student_effb3-d16_1xb8-512px_spacenet6-sar.py')
teacher_cfg = ('{{fileDirname}}/'
               'deeplabv3plus_effb3-d16_1xb16-512px_spacenet6-optical.py')
teacher_ckpt = ('work_dirs/deeplabv3plus_effb3-d16_1xb16-512px_'
                'spacenet6-optical/iter_40000.pth')
model = dict(
    type='ifkd.CrossModalDistill',
    architecture=dict(cfg_path=student_cfg),
    teacher=dict(cfg_path=teacher_cfg),
    teacher_ckpt=teacher_ckpt,
    teacher_modality='optical',
    student_modality='sar',
    # The teacher's view is only normalised: the student's preprocessor
    # pads both the SAR batch and the masks, and the optical view comes
    # from the same crop, so it already has the same size.
    preprocessors=dict(
        optical=dict(type='mmpretrain.ClsDataPreprocessor',
                     mean=_base_.mean, std=_base_.std, to_rgb=False)),
    distiller=_base_.distiller)
# EfficientNet stages: the branch re-runs blocks 3-4 and 5-6 (1/16).
model['distiller']['teacher_recorders'].update(
    t_stage3=dict(type='mmrazor.ModuleOutputs',
                  source='backbone.timm_model.blocks.4'),
    t_stage4=dict(type='mmrazor.ModuleOutputs',
                  source='backbone.timm_model.blocks.6'))
