# The DisOptNet student on its own, on SAR only: the config an exported
# stage-2 student is tested (and deployed) with. Trained alone it would
# learn its SAR and fusion heads only; its distillation branch learns from
# the teacher in stage 2 (disoptnet_effb3-d16_1xb8-512px_spacenet6.py).
_base_ = [
    './_base_/models/disoptnet_effb3-d16.py',
    './_base_/datasets/spacenet6-sar_512px.py',
    './_base_/schedules/sgd-poly.py', './_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=8)
