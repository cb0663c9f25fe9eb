# ARSD for a Faster R-CNN pair: the logit imitation uses the RPN's
# objectness logits on the five FPN levels (P2-P6), SSRD the RPN's box
# deltas with the RPN's anchors.
_base_ = './arsd_retinanet_distiller.py'

distiller = dict(
    student_recorders=dict(
        s_cls=dict(source='rpn_head.rpn_cls'),
        s_reg=dict(source='rpn_head.rpn_reg')),
    teacher_recorders=dict(
        t_cls=dict(source='rpn_head.rpn_cls'),
        t_reg=dict(source='rpn_head.rpn_reg')),
    connectors=dict(
        ssrd=dict(
            anchor_generator=dict(
                _delete_=True,
                type='AnchorGenerator',
                scales=[8],
                ratios=[0.5, 1.0, 2.0],
                strides=[4, 8, 16, 32, 64]))))
