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
_base_ = [
    './disoptnet_effb3-d16_1xb8-512px_spacenet6.py',
    './_base_/distillers/ifkd_disoptnet.py'
]
model = dict(
    distiller=dict(
        connectors=_base_.ifkd_connectors,
        loss_forward_mappings=_base_.ifkd_loss_mappings))
# FDR at the teacher's widths: decoder, stage 3, stage 4.
model['distiller']['connectors'].update(
    t_fdr_dec=dict(_base_.ifkd_fdr, in_channels=256),
    t_fdr_stage3=dict(_base_.ifkd_fdr, in_channels=136),
    t_fdr_stage4=dict(_base_.ifkd_fdr, in_channels=384))
optim_wrapper = dict(paramwise_cfg=_base_.fdr_paramwise_cfg)
