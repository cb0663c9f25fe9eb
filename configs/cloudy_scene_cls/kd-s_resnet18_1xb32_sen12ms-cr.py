# Baseline KD-S on real data (optical -> cloudy optical): plain soft KD
# from the source's view of the cloudy tile, every sample, no
# pseudo-label CE.
_base_ = ['./step1-opt_resnet18_1xb32_sen12ms-cr.py']
model = dict(distiller=dict(distill_losses=dict(loss_pl=dict(
    threshold=0.0, hard_weight=0.0, log_name='kd_s'))))
