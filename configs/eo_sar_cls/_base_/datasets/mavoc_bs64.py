# The MAVOC (PBVS 2024) release, arranged in the layout of
# ifkd.PairedEOSARDataset / ifkd.EOSARTestDataset (see the README):
#   data/mavoc/train/EO/<class>/EO_<id>.png, train/SAR/<class>/SAR_<id>.png
#   data/mavoc/test/SAR_<id>.png, test/ids.txt
# plus, for a labelled test set, test_labels.csv and test_ood.txt.
# Chips are resized to 224 px, the input of the ImageNet / CLIP backbones;
# SAR is read as three equal channels so that those weights apply.
_base_ = ['./synthetic-eo-sar_bs32.py']

data_root = 'data/mavoc/'
img_size = 224

resize = dict(type='Resize', scale=(img_size, img_size))
pair_geometry = dict(
    type='TransformBroadcaster',
    mapping=dict(img=['eo_img', 'sar_img']),
    auto_remap=True,
    share_random_params=True,
    transforms=[
        resize,
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='ifkd.RandomRot90', prob=0.75),
    ])
paired_train_pipeline = [
    _base_.load_eo,
    dict(
        type='KeyMapper',
        mapping=dict(img_path='sar_path', img='sar_img'),
        auto_remap=True,
        transforms=[dict(type='LoadImageFromFile')]),
    pair_geometry,
    dict(type='ifkd.PackMultiModalInputs',
         modalities=dict(eo='eo_img', sar='sar_img')),
]
train_pipeline = [
    dict(type='LoadImageFromFile'), resize,
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ifkd.RandomRot90', prob=0.75),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'), resize,
    dict(type='PackInputs')
]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
# The challenge's test folder is blind: no labels_file / ood_file unless
# you have them (tools/test.py then needs a labelled set; the inference
# tool writes the submission csv either way).
test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        data_root=data_root,
        labels_file=None,
        ood_file=None,
        pipeline=test_pipeline))
val_dataloader = test_dataloader
