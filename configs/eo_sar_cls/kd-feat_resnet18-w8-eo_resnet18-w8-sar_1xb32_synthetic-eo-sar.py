# Stage 2 with the optional feature term: logit KD plus an L2 loss between
# the teacher's last feature map and the student's, projected to the
# teacher's channels by a 1x1 convolution (both maps are 4 x 4 at 32 px).
_base_ = ['./kd_resnet18-w8-eo_resnet18-w8-sar_1xb32_synthetic-eo-sar.py']
feat_weight = 1.0

model = dict(
    distiller=dict(
        student_recorders=dict(
            s_feat=dict(type='mmrazor.ModuleOutputs', source='backbone')),
        teacher_recorders=dict(
            t_feat=dict(type='mmrazor.ModuleOutputs', source='backbone')),
        connectors=dict(
            s_adapt=dict(
                type='mmrazor.ConvModuleConnector',
                in_channel=64,
                out_channel=64,
                kernel_size=1,
                norm_cfg=None,
                act_cfg=None)),
        distill_losses=dict(
            loss_feat=dict(
                type='mmrazor.L2Loss', normalize=True,
                loss_weight=feat_weight)),
        loss_forward_mappings=dict(
            loss_feat=dict(
                s_feature=dict(
                    recorder='s_feat', from_student=True, data_idx=0,
                    connector='s_adapt'),
                t_feature=dict(
                    recorder='t_feat', from_student=False, data_idx=0)))))
