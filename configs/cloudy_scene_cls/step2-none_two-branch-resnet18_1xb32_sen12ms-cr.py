# Step 2 on real data without modality regulation (contributions still
# logged).
_base_ = ['./step2-sample-reg_two-branch-resnet18_1xb32_sen12ms-cr.py']
model = dict(architecture=dict(cfg_options=dict(regulation=None)))
