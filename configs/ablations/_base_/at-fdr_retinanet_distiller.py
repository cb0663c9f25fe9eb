# Table 4 ablation "AT + FDR" (RetinaNet): the AT baseline plus IFKD's
# feature and head losses (alpha 0.06, beta 0.5) with only FDR active: the
# target is FDR(F_t, M_FRS), the mask is none (all ones).
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
t_target = [
    dict(
        t_neck[i],
        connector=[f't_fdr{i}'],
        connector_kwargs=dict(
            frs_mask=dict(
                recorder='t_cls',
                from_student=False,
                record_idx=i,
                connector='frs'))) for i in range(num_levels)
]
s_feat = [
    dict(s_neck[i], connector=f's_adapt{i}') for i in range(num_levels)
]

distiller = dict(
    type='ifkd.IFKDDistiller',
    student_recorders=dict(
        s_neck=dict(type='mmrazor.ModuleOutputs', source='neck'),
        s_cls=dict(type='mmrazor.ModuleOutputs', source=cls_source)),
    teacher_recorders=dict(
        t_neck=dict(type='mmrazor.ModuleOutputs', source='neck'),
        t_cls=dict(type='mmrazor.ModuleOutputs', source=cls_source)),
    connectors=dict(
        frs=dict(type='ifkd.FRSMaskConnector'),
        **{
            f's_adapt{i}': dict(
                type='mmrazor.ConvModuleConnector',
                in_channel=neck_channels,
                out_channel=neck_channels,
                kernel_size=3,
                padding=1,
                act_cfg=None)
            for i in range(num_levels)
        },
        **{
            f't_fdr{i}': dict(
                type='ifkd.FDRConnector',
                in_channels=neck_channels,
                ratio_range=(0.1, 0.5))
            for i in range(num_levels)
        }),
    distill_losses=dict(
        **{
            f'loss_at_fpn{i}': dict(
                type='mmrazor.ATLoss', loss_weight=at_beta / 2)
            for i in range(num_levels)
        },
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
            f'loss_at_fpn{i}': dict(s_feature=s_neck[i], t_feature=t_neck[i])
            for i in range(num_levels)
        },
        **{
            f'loss_feat_fpn{i}': dict(
                preds_S=s_feat[i], preds_T=t_target[i])
            for i in range(num_levels)
        },
        **{
            f'loss_head_fpn{i}': dict(
                preds_S=dict(
                    recorder='s_cls', from_student=True, record_idx=i),
                preds_T=dict(
                    recorder='t_cls', from_student=False, record_idx=i))
            for i in range(num_levels)
        }))
