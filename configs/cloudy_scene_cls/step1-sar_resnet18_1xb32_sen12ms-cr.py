# Step 1, SAR auxiliary (real data, CrossModalDistill): the source sees the
# cloudy optical tile, the ResNet-18 student only the SAR tile; filtered
# pseudo-labels as for the optical auxiliary.
_base_ = ['./step1-opt_resnet18_1xb32_sen12ms-cr.py']
model = dict(
    architecture=dict(
        cfg_path='{{fileDirname}}/sar_resnet18_1xb32_sen12ms-cr.py'),
    student_modality='sar',
    distiller=dict(distill_losses=dict(loss_pl=dict(log_name='step1_sar'))))
