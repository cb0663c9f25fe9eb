# Step 2 on real data with OGM-GE (Peng et al., CVPR 2022) instead of the
# per-sample regulation.
_base_ = ['./step2-sample-reg_two-branch-resnet18_1xb32_sen12ms-cr.py']
model = dict(architecture=dict(cfg_options=dict(
    regulation=dict(_delete_=True, type='ifkd.OGMGE', alpha=0.5))))
