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
# FDR's low-pass ratio r is drawn from this range at every step (Eq. 4's
# "random length"; the paper gives no range). Centred on the fixed r = 0.1
# of the paper's public code; FDRConnector's default.
fdr_ratio_range = (0.0, 0.2)
# FDR's filter W (log_w) learns only through the feature loss, and each of
# its C x 64 x 64 entries touches one frequency of one channel: its raw
# gradient is tiny (at lr_mult 1 its per-step relative change was ~1e-6 of
# the 3x3 adapters') and its scale varies ~500x between detectors and over
# training (a fixed lr_mult of 5e5 matched the adapters on RetinaNet's P3
# but overshot on Faster R-CNN's P2). So FDR rescales log_w's gradient to
# unit L2 norm per level and step (`fdr_grad_norm`), and this group sets the
# step: lr * fdr_lr_mult in L2 norm over the 256 x 64 x 64 entries, before
# momentum and clipping. The global clip (max_norm 35) scales it like every
# other gradient; in the synthetic runs the raw norm is 1e2-2e3, so the
# clip is always active, and there lr_mult 1000 puts W's relative change
# per step at 0.6-1.7x the 3x3 adapters' on RetinaNet's P3-P6 and 0.2-2.5x
# on Faster R-CNN's P2-P6 (measured; at 10 it was ~0.005x). Unclipped, a
# step would move log_w by RMS lr * 1000 / 1024: lower it for long runs
# with small gradients. No weight decay: it
# would pull W back to 1. Read `t_fdr{l}.logw_std` / `.logw_range` in the
# training log. A distillation config applies it with
# `optim_wrapper = dict(paramwise_cfg=_base_.fdr_paramwise_cfg)`.
fdr_grad_norm = 1.0
fdr_lr_mult = 1000.0
fdr_paramwise_cfg = dict(
    custom_keys={'.log_w': dict(lr_mult=fdr_lr_mult, decay_mult=0.)})

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
                ratio_range=fdr_ratio_range,
                grad_norm=fdr_grad_norm)
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
