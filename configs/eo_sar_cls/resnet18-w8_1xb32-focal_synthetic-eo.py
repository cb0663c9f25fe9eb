# Stage 1: the EO teacher on the synthetic set, as in the seed: softmax
# focal loss (gamma 0.5) and an imbalance sampler (the seed's
# WeightedRandomSampler; here each class is drawn equally often). Tested on
# the EO partners of the labelled test chips (test_eo/).
_base_ = [
    './_base_/models/resnet18-w8_eo.py',
    './_base_/datasets/synthetic-eo-sar_bs32.py',
    '../sar_ship_cls/_base_/schedules/synthetic_sgd_20e.py',
    '../sar_ship_cls/_base_/default_runtime.py'
]

model = dict(
    head=dict(
        loss=dict(_delete_=True, type='ifkd.SoftmaxFocalLoss', gamma=0.5)))
train_dataloader = dict(
    dataset=dict(modalities=('eo', ), pipeline=_base_.eo_train_pipeline),
    sampler=dict(_delete_=True, type='ifkd.InverseFrequencySampler'))
test_dataloader = dict(
    dataset=dict(
        img_dir='test_eo',
        prefix='EO_',
        ids_file=None,
        ood_file=None,
        pipeline=_base_.eo_test_pipeline))
val_dataloader = test_dataloader
