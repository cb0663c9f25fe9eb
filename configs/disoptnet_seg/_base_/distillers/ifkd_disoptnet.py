# IFKD's modules on DisOptNet (Information Fusion with Knowledge
# Distillation, ACM MM 2024), through the same distiller components as the
# detectors; see ifkd-disoptnet_*.py. The leaf sets FDR's channels.
ifkd_fdr = dict(type='ifkd.FDRConnector', filter_size=(8, 8),
                ratio_range=(0.0, 0.2), grad_norm=1.0)
ifkd_fdr_lr_mult = 100.0
ifkd_t_dec = dict(recorder='t_dec', from_student=False, data_idx=0)
ifkd_s_dec = dict(recorder='s_dec', from_student=True, data_idx=0)
ifkd_t_logits = dict(recorder='t_logits', from_student=False)
ifkd_connectors = dict(
    t_frs=dict(type='ifkd.FRSMaskConnector'),
    t_fdr_dec=ifkd_fdr,
    t_fdr_stage3=ifkd_fdr,
    t_fdr_stage4=ifkd_fdr,
    hsm=dict(type='ifkd.HSMConnector', curvature=1.0))
ifkd_loss_mappings = dict(
    loss_pkd=dict(
        mask=dict(connector='hsm',
                  inputs=dict(t_feat=ifkd_t_dec, s_feat=ifkd_s_dec))),
    loss_feat_stage3=dict(t_feature=dict(connector='t_fdr_stage3')),
    loss_feat_stage4=dict(t_feature=dict(connector='t_fdr_stage4')),
    loss_feat_decoder=dict(
        t_feature=dict(
            connector='t_fdr_dec',
            connector_kwargs=dict(
                frs_mask=dict(ifkd_t_logits, connector='t_frs')))))
# FDR's filter as its own param group, as in the detection configs.
fdr_paramwise_cfg = dict(
    custom_keys={'.log_w': dict(lr_mult=ifkd_fdr_lr_mult, decay_mult=0.)})
