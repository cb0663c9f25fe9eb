# FGD (Yang et al., "Focal and Global Knowledge Distillation for Detectors",
# CVPR 2022, https://arxiv.org/abs/2111.11837) on the five FPN levels: focal
# (foreground/background scale masks from the GT boxes, teacher spatial and
# channel attention with temperature T), attention and global (GcBlock)
# losses; ifkd.FGDMaskConnector reads the GT boxes from the step's context.
# The authors' RetinaNet settings:
temp = 0.5
alpha = 1e-3
beta = 5e-4
gamma = 5e-4
lambda_ = 5e-6
num_levels = 5

s_neck = [
    dict(recorder='s_neck', from_student=True, data_idx=i)
    for i in range(num_levels)
]
t_neck = [
    dict(recorder='t_neck', from_student=False, data_idx=i)
    for i in range(num_levels)
]

fgd_masks = [
    dict(connector='fgd_mask', inputs=dict(feature=t_neck[i]))
    for i in range(num_levels)
]
distiller = dict(
    type='ifkd.IFKDDistiller',
    student_recorders=dict(
        s_neck=dict(type='mmrazor.ModuleOutputs', source='neck')),
    teacher_recorders=dict(
        t_neck=dict(type='mmrazor.ModuleOutputs', source='neck')),
    connectors=dict(fgd_mask=dict(type='ifkd.FGDMaskConnector')),
    distill_losses={
        f'loss_fgd_fpn{i}': dict(
            type='ifkd.FGDLoss',
            in_channels=256,
            temp=temp,
            alpha=alpha,
            beta=beta,
            gamma=gamma,
            lambda_=lambda_)
        for i in range(num_levels)
    },
    loss_forward_mappings={
        f'loss_fgd_fpn{i}': dict(
            preds_S=s_neck[i], preds_T=t_neck[i], masks=fgd_masks[i])
        for i in range(num_levels)
    })
