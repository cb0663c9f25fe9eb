# IFKD on the five FPN levels of a RetinaNet teacher/student pair
# (paper Sec. 3, Eq. 1-14). Per level l:
#   target_l  = FDR_l(EDE_l(F_t,l), M_FRS(teacher cls logits_l))
#   student_l = Conv3x3_l(F_s,l)                          (phi_adapt)
#   M_HSM,l   = HSM(target_l, student_l)
#   L_feat,l  = alpha * MSE(student_l, target_l; M_HSM,l)  (Eq. 12)
#   L_head,l  = beta  * BCE(s_cls_l, sigmoid(t_cls_l); M_HSM,l)  (Eq. 13)
alpha = 0.06
beta = 0.5
# MobileSAM vit_t weights: weights/mobile_sam.pt of the MobileSAM project.
sam_checkpoint = 'checkpoints/mobile_sam.pt'
neck_channels = 256
num_levels = 5
cls_source = 'bbox_head.retina_cls'

t_target = [
    dict(
        recorder='t_neck',
        from_student=False,
        data_idx=i,
        connector=[f't_ede{i}', f't_fdr{i}'],
        connector_kwargs=dict(
            frs_mask=dict(
                recorder='t_cls',
                from_student=False,
                record_idx=i,
                connector='frs'))) for i in range(num_levels)
]
s_feat = [
    dict(
        recorder='s_neck',
        from_student=True,
        data_idx=i,
        connector=f's_adapt{i}') for i in range(num_levels)
]
# HSM of all levels in one batched call; level i takes item i.
hsm_mask = [
    dict(
        connector='hsm',
        inputs=dict(t_feat=t_target, s_feat=s_feat),
        connector_idx=i) for i in range(num_levels)
]

distiller = dict(
    type='ifkd.IFKDDistiller',
    sam_checkpoint=sam_checkpoint,
    # MobileSAM outputs cached on disk, keyed by image/flip/size/checkpoint;
    # build ahead with tools/misc/build_sam_cache.py. SAMCacheHook disables
    # it for pipelines it cannot key (random crops, photometric, Mosaic, ...).
    sam_cache=dict(dir='work_dirs/sam_cache'),
    student_recorders=dict(
        s_neck=dict(type='mmrazor.ModuleOutputs', source='neck'),
        s_cls=dict(type='mmrazor.ModuleOutputs', source=cls_source)),
    teacher_recorders=dict(
        t_neck=dict(type='mmrazor.ModuleOutputs', source='neck'),
        t_cls=dict(type='mmrazor.ModuleOutputs', source=cls_source)),
    connectors=dict(
        frs=dict(type='ifkd.FRSMaskConnector'),
        hsm=dict(type='ifkd.HSMConnector', curvature=1.0),
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
            f't_ede{i}': dict(
                type='ifkd.EDEConnector',
                in_channels=neck_channels,
                weight=1.0)
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
                preds_S=s_feat[i], preds_T=t_target[i], mask=hsm_mask[i])
            for i in range(num_levels)
        },
        **{
            f'loss_head_fpn{i}': dict(
                preds_S=dict(
                    recorder='s_cls', from_student=True, record_idx=i),
                preds_T=dict(
                    recorder='t_cls', from_student=False, record_idx=i),
                mask=hsm_mask[i])
            for i in range(num_levels)
        }))

custom_hooks = [dict(type='ifkd.SAMCacheHook')]
