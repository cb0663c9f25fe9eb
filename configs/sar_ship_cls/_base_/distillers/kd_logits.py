# Logit distillation (Hinton et al., 2015, https://arxiv.org/abs/1503.02531):
# tau^2 * KL(softmax(t / tau) || softmax(s / tau)) next to the student's own
# cross-entropy.
tau = 4.0
kd_weight = 1.0

distiller = dict(
    type='ifkd.IFKDDistiller',
    student_recorders=dict(
        s_logits=dict(type='mmrazor.ModuleOutputs', source='head.fc')),
    teacher_recorders=dict(
        t_logits=dict(type='mmrazor.ModuleOutputs', source='head.fc')),
    distill_losses=dict(
        loss_kd=dict(
            type='mmrazor.KLDivergence', tau=tau, loss_weight=kd_weight)),
    loss_forward_mappings=dict(
        loss_kd=dict(
            preds_S=dict(recorder='s_logits', from_student=True),
            preds_T=dict(recorder='t_logits', from_student=False))))
