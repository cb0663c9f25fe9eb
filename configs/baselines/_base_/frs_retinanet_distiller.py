# FRS (Du et al., "Distilling Object Detectors with Feature Richness",
# NeurIPS 2021, https://arxiv.org/abs/2111.00674) on the five FPN levels:
#   M_l      = max_{anchor, class} sigmoid(teacher cls logits_l)   (FRS mask)
#   L_feat,l = alpha * sum M (Conv3x3_l(F_s,l) - F_t,l)^2 / sum M
#   L_cls,l  = beta  * sum M BCE(s_cls_l, sigmoid(t_cls_l)) / sum M
# i.e. IFKD's masked losses with the FRS mask (the formulas coincide), and
# the authors' RetinaNet weights alpha = 0.005, beta = 0.02 and their
# 500-iteration linear warm-up of the distillation losses.
alpha = 0.005
beta = 0.02
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

frs_mask = [
    dict(recorder='t_cls', from_student=False, record_idx=i, connector='frs')
    for i in range(num_levels)
]
distiller = dict(
    type='ifkd.IFKDDistiller',
    warmup_iters=500,
    student_recorders=dict(
        s_neck=dict(type='mmrazor.ModuleOutputs', source='neck'),
        s_cls=dict(type='mmrazor.ModuleOutputs', source=cls_source)),
    teacher_recorders=dict(
        t_neck=dict(type='mmrazor.ModuleOutputs', source='neck'),
        t_cls=dict(type='mmrazor.ModuleOutputs', source=cls_source)),
    connectors=dict(frs=dict(type='ifkd.FRSMaskConnector'),
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
    distill_losses=dict(
        **{
            f'loss_feat_fpn{i}': dict(
                type='ifkd.IFKDFeatLoss', loss_weight=alpha)
            for i in range(num_levels)
        },
        **{
            f'loss_head_fpn{i}': dict(
                type='ifkd.IFKDHeadLoss', loss_weight=beta)
            for i in range(num_levels)
        }),
    loss_forward_mappings=dict(
        **{
            f'loss_feat_fpn{i}': dict(
                preds_S=dict(s_neck[i], connector=f's_adapt{i}'),
                preds_T=t_neck[i],
                mask=frs_mask[i])
            for i in range(num_levels)
        },
        **{
            f'loss_head_fpn{i}': dict(
                preds_S=dict(
                    recorder='s_cls', from_student=True, record_idx=i),
                preds_T=dict(
                    recorder='t_cls', from_student=False, record_idx=i),
                mask=frs_mask[i])
            for i in range(num_levels)
        }))
