# Table 4 ablations (RetinaNet): the AT baseline (mmrazor ATLoss on the five
# FPN levels, beta = 1e3) plus IFKD's feature and head losses (alpha 0.06,
# beta 0.5). Each config keeps some of IFKD's modules with
# `distiller.modules`: a dropped EDE or FDR is the identity on the teacher
# feature, a dropped HSM a mask of ones; unused connectors and side inputs go.
_base_ = '../../ifkd/_base_/ifkd_retinanet_distiller.py'

at_beta = 1e3
num_levels = 5

distiller = dict(
    distill_losses={
        f'loss_at_fpn{i}': dict(
            type='mmrazor.ATLoss', loss_weight=at_beta / 2)
        for i in range(num_levels)
    },
    loss_forward_mappings={
        f'loss_at_fpn{i}': dict(
            s_feature=dict(recorder='s_neck', from_student=True, data_idx=i),
            t_feature=dict(recorder='t_neck', from_student=False, data_idx=i))
        for i in range(num_levels)
    })
