# Step 2 with OGM-GE (Peng et al., CVPR 2022) instead of the per-sample
# regulation.
_base_ = ['./step2-sample-reg_two-branch_1xb32_synthetic-sen12ms-cr.py']
model = dict(architecture=dict(cfg_options=dict(
    regulation=dict(_delete_=True, type='ifkd.OGMGE', alpha=0.5))))
