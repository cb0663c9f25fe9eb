# Logit KD and IFKD's feature modules together (see kd_logits.py and
# ifkd_feat.py).
_base_ = ['./ifkd_feat.py']
tau = 4.0
kd_weight = 1.0

distiller = dict(
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
