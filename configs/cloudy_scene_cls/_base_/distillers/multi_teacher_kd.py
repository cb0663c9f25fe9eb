# Step 2: both auxiliaries into the two-branch target, unfiltered. The
# fused logits learn the teachers' averaged distribution (mixer), each
# branch its own modality's teacher.
tau = 4.0
branch_weight = 0.5
pl_loss = dict(type='ifkd.PseudoLabelKDLoss', tau=tau, threshold=0.0)
model = dict(distiller=dict(
    type='ifkd.IFKDDistiller',
    student_recorders=dict(
        fused=dict(type='mmrazor.ModuleOutputs', source='head'),
        s_opt=dict(type='mmrazor.ModuleOutputs', source='head.fcs.opt'),
        s_sar=dict(type='mmrazor.ModuleOutputs', source='head.fcs.sar')),
    teacher_recorders=dict(
        mix=dict(type='mmrazor.ModuleOutputs', source='mixer'),
        t_opt=dict(type='mmrazor.ModuleOutputs',
                   source='members.opt.head.fc'),
        t_sar=dict(type='mmrazor.ModuleOutputs',
                   source='members.sar.head.fc')),
    distill_losses=dict(
        loss_fused=dict(**pl_loss, log_name='step2_fused'),
        loss_opt=dict(**pl_loss, loss_weight=branch_weight,
                      log_name='step2_opt'),
        loss_sar=dict(**pl_loss, loss_weight=branch_weight,
                      log_name='step2_sar')),
    loss_forward_mappings=dict(
        loss_fused=dict(
            preds_S=dict(recorder='fused', from_student=True),
            preds_T=dict(recorder='mix', from_student=False)),
        loss_opt=dict(
            preds_S=dict(recorder='s_opt', from_student=True),
            preds_T=dict(recorder='t_opt', from_student=False)),
        loss_sar=dict(
            preds_S=dict(recorder='s_sar', from_student=True),
            preds_T=dict(recorder='t_sar', from_student=False)))))
