# Table 4 ablation "AT" (RetinaNet): the AT baseline alone (mmrazor ATLoss on
# the five FPN levels, beta = 1e3).
alpha = 0.06
beta = 0.5
at_beta = 1e3
neck_channels = 256
num_levels = 5
cls_source = 'bbox_head.retina_cls'

s_neck = [
    dict(recorder='s_neck', from_student=True, data_idx=i)
    for i in range(num_levels)
]
t_neck = [
    dict(recorder='t_neck', from_student=False, data_idx=i)
    for i in range(num_levels)
]

distiller = dict(
    type='ifkd.IFKDDistiller',
    student_recorders=dict(
        s_neck=dict(type='mmrazor.ModuleOutputs', source='neck')),
    teacher_recorders=dict(
        t_neck=dict(type='mmrazor.ModuleOutputs', source='neck')),
    distill_losses=dict(
        **{
            f'loss_at_fpn{i}': dict(
                type='mmrazor.ATLoss', loss_weight=at_beta / 2)
            for i in range(num_levels)
        }),
    loss_forward_mappings=dict(
        **{
            f'loss_at_fpn{i}': dict(s_feature=s_neck[i], t_feature=t_neck[i])
            for i in range(num_levels)
        }))
