# IFKD's feature modules on the last feature maps of a classifier pair
# (paper Sec. 3, Eq. 3-12), with the teacher's class activation map in
# place of the detector's feature-richness mask M_FRS:
#   M        = CAM of the teacher's predicted class (its linear head applied
#              at every location), min-max normalised per image
#   target   = FDR(F_t, M)                       (Eq. 3-8)
#   student  = phi_adapt(F_s)  (conv to the teacher's channels and stride)
#   M_HSM    = HSM(target, student)              (Eq. 9-11)
#   L_feat   = alpha * MSE(student, target; M_HSM)  (Eq. 12)
# The leaf config sets the channels and the adapter's stride.
alpha = 0.001
t_channels = 2048
s_channels = 256
# FDR as in the detection configs (configs/ifkd/_base_/
# ifkd_retinanet_distiller.py): random low-pass ratio around the public
# code's fixed 0.1, and the filter's gradient rescaled to unit norm with its
# own param group (leaf configs set
# `optim_wrapper = dict(paramwise_cfg=_base_.fdr_paramwise_cfg)`). At the
# synthetic schedule's lr 0.05 a multiplier of 100 steps each of W's
# 512 x 8 x 8 entries by ~0.03 before momentum and clipping, the order of
# the detection configs' per-entry step.
fdr_ratio_range = (0.0, 0.2)
fdr_grad_norm = 1.0
fdr_lr_mult = 100.0
fdr_paramwise_cfg = dict(
    custom_keys={'.log_w': dict(lr_mult=fdr_lr_mult, decay_mult=0.)})

t_target = dict(
    recorder='t_feat',
    from_student=False,
    data_idx=0,
    connector='t_fdr',
    connector_kwargs=dict(
        frs_mask=dict(
            recorder='t_feat',
            from_student=False,
            data_idx=0,
            connector='t_cam',
            connector_kwargs=dict(
                fc_weight=dict(recorder='t_fc_weight', from_student=False),
                fc_bias=dict(recorder='t_fc_bias', from_student=False)))))
s_feat = dict(
    recorder='s_feat', from_student=True, data_idx=0, connector='s_adapt')

distiller = dict(
    type='ifkd.IFKDDistiller',
    student_recorders=dict(
        s_feat=dict(type='mmrazor.ModuleOutputs', source='backbone')),
    teacher_recorders=dict(
        t_feat=dict(type='mmrazor.ModuleOutputs', source='backbone'),
        t_fc_weight=dict(type='mmrazor.Parameter', source='head.fc.weight'),
        t_fc_bias=dict(type='mmrazor.Parameter', source='head.fc.bias')),
    connectors=dict(
        t_cam=dict(type='ifkd.ClassActivationMaskConnector', mode='cam'),
        # Classifier maps are small (7 x 7 at 224 px): a small reference
        # filter keeps W at 64 weights a channel.
        t_fdr=dict(
            type='ifkd.FDRConnector',
            in_channels=t_channels,
            filter_size=(8, 8),
            ratio_range=fdr_ratio_range,
            grad_norm=fdr_grad_norm),
        s_adapt=dict(
            type='mmrazor.ConvModuleConnector',
            in_channel=s_channels,
            out_channel=t_channels,
            kernel_size=1,
            stride=1,
            norm_cfg=None,
            act_cfg=None),
        hsm=dict(type='ifkd.HSMConnector', curvature=1.0)),
    distill_losses=dict(
        loss_feat=dict(type='ifkd.IFKDFeatLoss', loss_weight=alpha)),
    loss_forward_mappings=dict(
        loss_feat=dict(
            preds_S=s_feat,
            preds_T=t_target,
            mask=dict(
                connector='hsm', inputs=dict(t_feat=t_target,
                                             s_feat=s_feat)))))
