_base_ = ['../../sar_ship_cls/_base_/default_runtime.py']
# Per-iteration scalars (pseudo-label kept fraction, modality
# contributions) are logged every few iterations for the curves.
default_hooks = dict(logger=dict(interval=5))
