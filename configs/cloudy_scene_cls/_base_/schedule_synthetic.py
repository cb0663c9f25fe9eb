# From-scratch CPU schedule shared by every synthetic cloudy-scene config
# (source, auxiliaries, target, baselines), so their results compare.
_base_ = ['../../sar_ship_cls/_base_/schedules/synthetic_sgd_20e.py']
max_epochs = 10
param_scheduler = dict(end=max_epochs)
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
