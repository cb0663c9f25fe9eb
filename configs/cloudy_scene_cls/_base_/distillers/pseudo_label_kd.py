# One teacher's logits to the student's: ifkd.PseudoLabelKDLoss (soft KD
# at temperature tau plus cross-entropy to the teacher's argmax, on the
# samples whose teacher confidence reaches `threshold`). The algorithm
# configs set model.type, the teacher and the student.
tau = 4.0
threshold = 0.0
soft_weight = 1.0
hard_weight = 1.0
model = dict(distiller=dict(
    type='ifkd.IFKDDistiller',
    student_recorders=dict(
        s_logits=dict(type='mmrazor.ModuleOutputs', source='head.fc')),
    teacher_recorders=dict(
        t_logits=dict(type='mmrazor.ModuleOutputs', source='head.fc')),
    distill_losses=dict(
        loss_pl=dict(
            type='ifkd.PseudoLabelKDLoss', tau=tau, threshold=threshold,
            soft_weight=soft_weight, hard_weight=hard_weight)),
    loss_forward_mappings=dict(
        loss_pl=dict(
            preds_S=dict(recorder='s_logits', from_student=True),
            preds_T=dict(recorder='t_logits', from_student=False)))))
