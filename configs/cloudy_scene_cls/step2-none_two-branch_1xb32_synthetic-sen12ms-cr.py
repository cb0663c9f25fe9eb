# Step 2 without modality regulation (contributions still logged).
_base_ = ['./step2-sample-reg_two-branch_1xb32_synthetic-sen12ms-cr.py']
model = dict(architecture=dict(cfg_options=dict(regulation=None)))
