# Two-branch optical + SAR target on its own (real data; late fusion,
# per-modality logits observable). Trained with labels it is the
# supervised reference; distilled targets are exported and tested with it.
_base_ = [
    './_base_/models/two-branch_resnet18_sen12ms-cr.py',
    './_base_/datasets/sen12ms-cr_target.py', './_base_/schedules/sgd_20e.py',
    '../sar_ship_cls/_base_/default_runtime.py'
]
