# Two-branch optical + SAR target on its own (late fusion, per-modality
# logits observable). Trained with labels it is the supervised reference;
# distilled targets are exported and tested with this config.
_base_ = [
    './_base_/models/two_branch_cnn.py',
    './_base_/datasets/synthetic-sen12ms-cr_target.py',
    './_base_/schedule_synthetic.py', './_base_/default_runtime.py'
]
