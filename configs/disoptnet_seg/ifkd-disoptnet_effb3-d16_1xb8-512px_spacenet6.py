# DisOptNet with IFKD's modules (Information Fusion with Knowledge
# Distillation, ACM MM 2024) through the same distiller components as the
# detectors:
#   * pixel KD weighted by HSM, the hyperbolic similarity mask of the
#     teacher's and the branch's decoder features (1/4 resolution, the
#     logits' grid);
#   * FDR on the teacher features the branch imitates: the decoder feature
#     with the teacher's feature-richness mask (FRS of its logits), the
#     two stage features without a mask (their grid differs from the
#     logits'; FDR then applies its learnable spectral filter only).
_base_ = ['./disoptnet_effb3-d16_1xb8-512px_spacenet6.py']
fdr = dict(type='ifkd.FDRConnector', filter_size=(8, 8),
           ratio_range=(0.0, 0.2), grad_norm=1.0)
fdr_lr_mult = 100.0
t_dec = dict(recorder='t_dec', from_student=False, data_idx=0)
s_dec = dict(recorder='s_dec', from_student=True, data_idx=0)
t_logits = dict(recorder='t_logits', from_student=False)
model = dict(
    distiller=dict(
        connectors=dict(
            t_frs=dict(type='ifkd.FRSMaskConnector'),
            t_fdr_dec=dict(fdr, in_channels=256),
            t_fdr_stage3=dict(fdr, in_channels=136),
            t_fdr_stage4=dict(fdr, in_channels=384),
            hsm=dict(type='ifkd.HSMConnector', curvature=1.0)),
        loss_forward_mappings=dict(
            loss_pkd=dict(
                mask=dict(connector='hsm',
                          inputs=dict(t_feat=t_dec, s_feat=s_dec))),
            loss_feat_stage3=dict(
                t_feature=dict(connector='t_fdr_stage3')),
            loss_feat_stage4=dict(
                t_feature=dict(connector='t_fdr_stage4')),
            loss_feat_decoder=dict(
                t_feature=dict(
                    connector='t_fdr_dec',
                    connector_kwargs=dict(
                        frs_mask=dict(t_logits, connector='t_frs')))))))
# FDR's filter as its own param group, as in the detection configs.
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={'.log_w': dict(lr_mult=fdr_lr_mult, decay_mult=0.)}))
