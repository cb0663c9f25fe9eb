# AT (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017,
# https://arxiv.org/abs/1612.03928) on the five FPN levels: the attention map
# Q = vec(mean_c F^2) / ||.||_2 of student and teacher, and
#   L_l = beta / 2 * mean (Q_s,l - Q_t,l)^2        (mmrazor ATLoss)
# with the paper's beta = 1e3. Channel-agnostic: no adapter.
beta = 1e3
num_levels = 5

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
    distill_losses={
        f'loss_at_fpn{i}': dict(type='mmrazor.ATLoss', loss_weight=beta / 2)
        for i in range(num_levels)
    },
    loss_forward_mappings={
        f'loss_at_fpn{i}': dict(s_feature=s_neck[i], t_feature=t_neck[i])
        for i in range(num_levels)
    })
