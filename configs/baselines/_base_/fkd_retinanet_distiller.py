# FKD (Zhang & Ma, "Improve Object Detection with Feature-based Knowledge
# Distillation: Towards Accurate and Efficient Detectors", ICLR 2021,
# https://openreview.net/forum?id=uKhGRvM8QNH; mmrazor calls it FBKD):
# attention-guided feature loss (spatial/channel attention, T = 0.5), channel
# and spatial attention losses, and non-local relation loss, with the
# authors' weights (mmrazor FBKDLoss defaults: 7e-5, 4e-3, 4e-3, 7e-5).
# As in mmrazor's FBKD config: four FPN levels, non-local blocks whose keys
# and values are max-pooled by 2 x maxpool_stride (mmcv's NonLocal2d pools by
# 2, mmrazor's subclass by the stride again); P3-P6 for RetinaNet, the last
# one (stride 64) without pooling.
num_levels = 4
maxpool_strides = [4, 2, 2, None]

s_neck = [
    dict(recorder='s_neck', from_student=True, data_idx=i)
    for i in range(num_levels)
]
t_neck = [
    dict(recorder='t_neck', from_student=False, data_idx=i)
    for i in range(num_levels)
]

_fbkd = dict(in_channels=256, reduction=4, mode='dot_product')
distiller = dict(
    type='ifkd.IFKDDistiller',
    student_recorders=dict(
        s_neck=dict(type='mmrazor.ModuleOutputs', source='neck')),
    teacher_recorders=dict(
        t_neck=dict(type='mmrazor.ModuleOutputs', source='neck')),
    connectors=dict(
        **{
            f's_fbkd{i}': dict(
                type='mmrazor.FBKDStudentConnector',
                sub_sample=maxpool_strides[i] is not None,
                maxpool_stride=maxpool_strides[i] or 2,
                **_fbkd)
            for i in range(num_levels)
        },
        **{
            f't_fbkd{i}': dict(
                type='mmrazor.FBKDTeacherConnector',
                sub_sample=maxpool_strides[i] is not None,
                maxpool_stride=maxpool_strides[i] or 2,
                **_fbkd)
            for i in range(num_levels)
        }),
    distill_losses={
        f'loss_fkd_fpn{i}': dict(type='mmrazor.FBKDLoss')
        for i in range(num_levels)
    },
    loss_forward_mappings={
        f'loss_fkd_fpn{i}': dict(
            s_input=dict(s_neck[i], connector=f's_fbkd{i}'),
            t_input=dict(t_neck[i], connector=f't_fbkd{i}'))
        for i in range(num_levels)
    })
