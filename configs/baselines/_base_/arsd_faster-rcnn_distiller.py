# ARSD for a Faster R-CNN pair: the logit imitation uses the RPN's
# objectness logits on the five FPN levels (P2-P6).
_base_ = './arsd_retinanet_distiller.py'

distiller = dict(
    student_recorders=dict(s_cls=dict(source='rpn_head.rpn_cls')),
    teacher_recorders=dict(t_cls=dict(source='rpn_head.rpn_cls')))
