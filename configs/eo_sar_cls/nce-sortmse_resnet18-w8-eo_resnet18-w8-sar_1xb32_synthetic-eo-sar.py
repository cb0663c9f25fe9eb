# Stage 2 as the seed's code does it (offered as an option; the README's
# KL method is the default): the EO model trains jointly (its focal loss,
# gamma 0.5, added as teacher.*), and the pooled EO / SAR embeddings are
# tied by a symmetric InfoNCE (weight alpha) and an MSE between the sorted
# embeddings (weight 1 - alpha); alpha is 0.8 for the first 10 epochs, then
# 0.5. Both embeddings are 64-wide here; a student of another width needs
# a projection (connectors=dict(s_proj=dict(type='mmrazor.TorchNNConnector',
# module_name='Linear', module_args=dict(in_features=..., out_features=...)))
# and connector='s_proj' in s_embed).
_base_ = ['./kd_resnet18-w8-eo_resnet18-w8-sar_1xb32_synthetic-eo-sar.py']
alpha_schedule = {0: 0.8, 10: 0.5}

s_embed = dict(recorder='s_embed', from_student=True, data_idx=0)
t_embed = dict(recorder='t_embed', from_student=False, data_idx=0)
model = dict(
    teacher_trainable=True,
    distiller=dict(
        _delete_=True,
        type='ifkd.IFKDDistiller',
        student_recorders=dict(
            s_embed=dict(type='mmrazor.ModuleOutputs', source='neck')),
        teacher_recorders=dict(
            t_embed=dict(type='mmrazor.ModuleOutputs', source='neck')),
        distill_losses=dict(
            loss_nce=dict(type='ifkd.SymmetricInfoNCELoss',
                          temperature=0.07, loss_weight=0.8),
            loss_sorted_mse=dict(type='ifkd.SortedFeatureMSELoss',
                                 loss_weight=0.2)),
        loss_forward_mappings=dict(
            loss_nce=dict(preds_S=s_embed, preds_T=t_embed),
            loss_sorted_mse=dict(preds_S=s_embed, preds_T=t_embed))))
custom_hooks = [
    dict(
        type='ifkd.DistillLossWeightHook',
        schedule=dict(
            loss_nce=alpha_schedule,
            loss_sorted_mse={0: 0.2, 10: 0.5}))  # 1 - alpha
]
