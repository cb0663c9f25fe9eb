# DisOptNet's distillation terms (Kang et al., TGRS 2022), on top of the
# student's own seg(SAR head, gt) + seg(fused head, gt):
#   seg(branch, argmax T) + pixel KD(branch, T) + sum_i MSE(F_s^i, F_t^i) / 3
# with seg = CE + Dice (1:1). Pixel KD uses the code's normalisation
# (sum over N x H x W / (H x W)). Feature pairs are matching stages: the
# branch's two re-run stages against the teacher's last two, and the
# branch decoder's output against the teacher decoder's (the code pairs a
# 1/16 teacher map with a 1/4 student map, which cannot run).
t_logits = dict(recorder='t_logits', from_student=False)
s_logits = dict(recorder='s_logits', from_student=True)
feat_pairs = dict(
    loss_feat_stage3=('s_stage3', 't_stage3', None),
    loss_feat_stage4=('s_stage4', 't_stage4', None),
    loss_feat_decoder=('s_dec', 't_dec', 0))
seg_losses = [
    dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
    dict(type='ifkd.MulticlassDiceLoss', loss_weight=1.0),
]
distiller = dict(
    type='ifkd.IFKDDistiller',
    student_recorders=dict(
        s_logits=dict(type='mmrazor.ModuleOutputs',
                      source='distill_head.conv_seg'),
        s_dec=dict(type='mmrazor.ModuleInputs',
                   source='distill_head.conv_seg'),
        s_stage3=dict(type='mmrazor.ModuleOutputs', source='branch.0'),
        s_stage4=dict(type='mmrazor.ModuleOutputs', source='branch.1')),
    teacher_recorders=dict(
        t_logits=dict(type='mmrazor.ModuleOutputs',
                      source='decode_head.conv_seg'),
        t_dec=dict(type='mmrazor.ModuleInputs',
                   source='decode_head.conv_seg'),
        t_stage3=dict(type='mmrazor.ModuleOutputs', source='backbone.layer3'),
        t_stage4=dict(type='mmrazor.ModuleOutputs',
                      source='backbone.layer4')),
    distill_losses=dict(
        loss_pseudo=dict(type='ifkd.PseudoLabelSegLoss', losses=seg_losses),
        loss_pkd=dict(type='ifkd.PixelKDLoss', tau=1.0, normalize='seed'),
        **{name: dict(type='mmrazor.L2Loss', normalize=False,
                      div_element=True, loss_weight=1 / 3)
           for name in feat_pairs}),
    loss_forward_mappings=dict(
        loss_pseudo=dict(preds_S=s_logits, preds_T=t_logits),
        loss_pkd=dict(preds_S=s_logits, preds_T=t_logits),
        **{name: dict(
            s_feature=dict(recorder=s, from_student=True, data_idx=idx),
            t_feature=dict(recorder=t, from_student=False, data_idx=idx))
           for name, (s, t, idx) in feat_pairs.items()}))
