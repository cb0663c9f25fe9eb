# ARSD (Yang et al., "Adaptive Knowledge Distillation for Lightweight Remote
# Sensing Object Detectors Optimizing", TGRS 2022,
# https://doi.org/10.1109/TGRS.2022.3175213), multi-scale core-feature
# imitation (MCFI): each GT box is imitated on the FPN level its size maps
# to, with an area weight favouring small objects (ifkd.ARSDMaskConnector);
# the same mask drives the imitation of the adapted FPN features (1x1
# adapter) and of the classification logits:
#   L_l = w * sum W_l (S_l - T_l)^2 / (2 N_pos,l)      (ifkd.ARSDLoss)
# with the authors' code's w = 0.01 for both. Strict supervision regression
# distillation (SSRD, ifkd.SSRDSelectorConnector): on the positive anchors,
# the student imitates the teacher's box deltas (L1) only where the teacher's
# decoded box overlaps the GT better than the student's.
feat_weight = 0.01
cls_weight = 0.01
ssrd_weight = 1.0
neck_channels = 256
num_levels = 5
cls_source = 'bbox_head.retina_cls'
reg_source = 'bbox_head.retina_reg'
# Must match the head's (checked against the regression channels).
anchor_generator = dict(
    type='AnchorGenerator',
    octave_base_scale=4,
    scales_per_octave=3,
    ratios=[0.5, 1.0, 2.0],
    strides=[8, 16, 32, 64, 128])
bbox_coder = dict(
    type='DeltaXYWHBBoxCoder',
    target_means=[0.0, 0.0, 0.0, 0.0],
    target_stds=[1.0, 1.0, 1.0, 1.0])

s_neck = [
    dict(recorder='s_neck', from_student=True, data_idx=i)
    for i in range(num_levels)
]
t_neck = [
    dict(recorder='t_neck', from_student=False, data_idx=i)
    for i in range(num_levels)
]

arsd_masks = [
    dict(connector=f'arsd_mask{i}', inputs=dict(feature=t_neck[i]))
    for i in range(num_levels)
]
# All levels in one selection: (student deltas, teacher deltas).
ssrd_pairs = dict(
    connector='ssrd',
    inputs=dict(
        s_reg=[
            dict(recorder='s_reg', from_student=True, record_idx=i)
            for i in range(num_levels)
        ],
        t_reg=[
            dict(recorder='t_reg', from_student=False, record_idx=i)
            for i in range(num_levels)
        ]))
distiller = dict(
    type='ifkd.IFKDDistiller',
    student_recorders=dict(
        s_neck=dict(type='mmrazor.ModuleOutputs', source='neck'),
        s_cls=dict(type='mmrazor.ModuleOutputs', source=cls_source),
        s_reg=dict(type='mmrazor.ModuleOutputs', source=reg_source)),
    teacher_recorders=dict(
        t_neck=dict(type='mmrazor.ModuleOutputs', source='neck'),
        t_cls=dict(type='mmrazor.ModuleOutputs', source=cls_source),
        t_reg=dict(type='mmrazor.ModuleOutputs', source=reg_source)),
    connectors=dict(
        ssrd=dict(
            type='ifkd.SSRDSelectorConnector',
            anchor_generator=anchor_generator,
            bbox_coder=bbox_coder),
        **{
            f'arsd_mask{i}': dict(
                type='ifkd.ARSDMaskConnector', level=i, num_levels=num_levels)
            for i in range(num_levels)
        },
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
    distill_losses=dict(
        loss_ssrd=dict(type='mmdet.L1Loss', loss_weight=ssrd_weight),
        **{
            f'loss_feat_fpn{i}': dict(
                type='ifkd.ARSDLoss', loss_weight=feat_weight)
            for i in range(num_levels)
        },
        **{
            f'loss_head_fpn{i}': dict(
                type='ifkd.ARSDLoss', loss_weight=cls_weight)
            for i in range(num_levels)
        }),
    loss_forward_mappings=dict(
        loss_ssrd=dict(
            pred=dict(ssrd_pairs, connector_idx=0),
            target=dict(ssrd_pairs, connector_idx=1)),
        **{
            f'loss_feat_fpn{i}': dict(
                preds_S=dict(s_neck[i], connector=f's_adapt{i}'),
                preds_T=t_neck[i],
                mask=arsd_masks[i])
            for i in range(num_levels)
        },
        **{
            f'loss_head_fpn{i}': dict(
                preds_S=dict(
                    recorder='s_cls', from_student=True, record_idx=i),
                preds_T=dict(
                    recorder='t_cls', from_student=False, record_idx=i),
                mask=arsd_masks[i])
            for i in range(num_levels)
        }))
