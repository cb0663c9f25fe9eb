# Two-branch late-fusion target: a ShipCNN encoder per modality (cloudy S2:
# 13 bands; S1: VV, VH), each pooled, and ifkd.LateFusionHead summing one
# linear classifier per modality (per-modality logits in
# head.branch_logits, recordable at head.fcs.opt / head.fcs.sar).
branch_channels = (16, 32, 64)
model = dict(
    type='ifkd.TwoBranchClassifier',
    branches=dict(
        opt=dict(
            in_channels=13,
            backbone=dict(type='ifkd.ShipCNN', in_channels=13,
                          channels=branch_channels, out_indices=(2, )),
            neck=dict(type='GlobalAveragePooling')),
        sar=dict(
            in_channels=2,
            backbone=dict(type='ifkd.ShipCNN', in_channels=2,
                          channels=branch_channels, out_indices=(2, )),
            neck=dict(type='GlobalAveragePooling'))),
    head=dict(
        type='ifkd.LateFusionHead',
        num_classes=10,
        in_channels=dict(opt=64, sar=64),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
    data_preprocessor=dict(
        type='ifkd.MultiModalDataPreprocessor',
        preprocessors=dict(
            opt=dict(type='mmpretrain.ClsDataPreprocessor'),
            sar=dict(type='mmpretrain.ClsDataPreprocessor')),
        label_modality='opt'))
