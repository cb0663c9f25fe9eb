# FitNet (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015,
# https://arxiv.org/abs/1412.6550) on the five FPN levels, with a 3x3 conv
# regressor r_l on the student (the paper's hint/guided-layer pair):
#   L_l = loss_weight * mean_{b,c,h,w} (r_l(F_s,l) - F_t,l)^2
# mmrazor's L2Loss with normalize=False and div_element=True is exactly this
# (sum of squares / numel); its default normalize=True L2-normalises each
# sample's flattened feature first, which is not FitNet's hint loss.
# FitNet sets no weight for detection; 1.0 on the element mean is ours.
loss_weight = 1.0
neck_channels = 256
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
    connectors=dict(
        **{
            f's_adapt{i}': dict(
                type='mmrazor.ConvModuleConnector',
                in_channel=neck_channels,
                out_channel=neck_channels,
                kernel_size=3,
                padding=1,
                act_cfg=None)
            for i in range(num_levels)
        }),
    distill_losses={
        f'loss_fitnet_fpn{i}': dict(
            type='mmrazor.L2Loss',
            loss_weight=loss_weight,
            normalize=False,
            div_element=True)
        for i in range(num_levels)
    },
    loss_forward_mappings={
        f'loss_fitnet_fpn{i}': dict(
            s_feature=dict(s_neck[i], connector=f's_adapt{i}'),
            t_feature=t_neck[i])
        for i in range(num_levels)
    })
