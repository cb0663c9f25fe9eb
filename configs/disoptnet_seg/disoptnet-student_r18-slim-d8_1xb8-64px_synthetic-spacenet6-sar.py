# The DisOptNet student on its own, on SAR only: the config an exported
# stage-2 student is tested (and deployed) with. Trained alone it would
# learn its SAR and fusion heads only; its distillation branch learns from
# the teacher in stage 2 (disoptnet_r18-slim-d8_1xb8-64px_synthetic-spacenet6.py).
_base_ = [
    './_base_/models/disoptnet_r18-slim-d8.py',
    './_base_/datasets/synthetic-spacenet6-sar_64px.py',
    './_base_/schedules/sgd-poly.py', './_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=8)
