# InsDist (Li et al., "Instance-Aware Distillation for Efficient Object
# Detection in Remote Sensing Images", TGRS 2023,
# https://doi.org/10.1109/TGRS.2023.3238801) on the five FPN levels:
# parameter-free instance masks from the teacher feature and the GT boxes
# (ifkd.InsDistMaskConnector, similarity threshold 0.5), foreground and
# background square-root L2 feature losses on the 1x1-adapted student, and
# the instance relation (cosine-similarity matrix) loss (ifkd.InsDistLoss).
# The weights are ours; see the loss's docstring.
threshold = 0.5
weight_fg = 1e-3
weight_bg = 1e-4
weight_rel = 1.0
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

ins_masks = [
    dict(connector='ins_mask', inputs=dict(feature=t_neck[i]))
    for i in range(num_levels)
]
distiller = dict(
    type='ifkd.IFKDDistiller',
    student_recorders=dict(
        s_neck=dict(type='mmrazor.ModuleOutputs', source='neck')),
    teacher_recorders=dict(
        t_neck=dict(type='mmrazor.ModuleOutputs', source='neck')),
    connectors=dict(
        ins_mask=dict(type='ifkd.InsDistMaskConnector', threshold=threshold),
        **{
            f's_adapt{i}': dict(
                type='mmrazor.ConvModuleConnector',
                in_channel=neck_channels,
                out_channel=neck_channels,
                kernel_size=1,
                padding=0,
                act_cfg=None)
            for i in range(num_levels)
        }),
    distill_losses={
        f'loss_insdist_fpn{i}': dict(
            type='ifkd.InsDistLoss',
            weight_fg=weight_fg,
            weight_bg=weight_bg,
            weight_rel=weight_rel)
        for i in range(num_levels)
    },
    loss_forward_mappings={
        f'loss_insdist_fpn{i}': dict(
            preds_S=dict(s_neck[i], connector=f's_adapt{i}'),
            preds_T=t_neck[i],
            masks=ins_masks[i])
        for i in range(num_levels)
    })
