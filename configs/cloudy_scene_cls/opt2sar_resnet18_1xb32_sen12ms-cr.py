# Baseline optical -> SAR transfer on real data (CrossModalDistill, soft
# KD, every sample): the source sees the cloudy optical tile, the student
# SAR.
_base_ = ['./step1-sar_resnet18_1xb32_sen12ms-cr.py']
model = dict(distiller=dict(distill_losses=dict(loss_pl=dict(
    threshold=0.0, hard_weight=0.0, log_name='opt2sar'))))
