# Two-branch late-fusion target on real data: an ImageNet ResNet-18 per
# modality (cloudy S2: the 10 selected bands; S1: VV, VH), each pooled, and
# ifkd.LateFusionHead summing one linear classifier per modality
# (per-modality logits recordable at head.fcs.opt / head.fcs.sar). Each
# branch's stem conv is not RGB-shaped: it is skipped when loading the
# ImageNet weights and stays random (see resnet18_sen12ms-cr.py).
_base_ = ['./two_branch_cnn.py']
imagenet_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                 'resnet18_8xb32_in1k_20210831-fbbb1da6.pth')
resnet18 = dict(type='ResNet', depth=18, out_indices=(3, ), style='pytorch',
                init_cfg=dict(type='Pretrained', checkpoint=imagenet_ckpt,
                              prefix='backbone'))
model = dict(
    branches=dict(
        opt=dict(in_channels=10,
                 backbone=dict(resnet18, _delete_=True, in_channels=10)),
        sar=dict(in_channels=2,
                 backbone=dict(resnet18, _delete_=True, in_channels=2))),
    head=dict(in_channels=dict(opt=512, sar=512)))
