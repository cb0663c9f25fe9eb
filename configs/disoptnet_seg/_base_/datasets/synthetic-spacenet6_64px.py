# Synthetic SpaceNet 6 tiles (ifkd/datasets/synthetic_spacenet6.py), after
# tools/dataset_converters/spacenet6_prep.py: 64 px tiles, random 48 px
# crops and flips for training, whole tiles for testing.
dataset_type = 'ifkd.SpaceNet6Dataset'
data_root = 'data/synthetic-spacenet6/prep/'
crop_size = (48, 48)
# One geometric pipeline for SAR, optical and mask: the loader stacks the
# modalities as channels, so mmseg's flip / crop move them together.
geometric = [
    dict(type='mmseg.RandomCrop', crop_size=crop_size),
    dict(type='mmseg.RandomFlip', prob=0.5, direction='horizontal'),
]
data_prefix = dict(img_path='sar', optical_path='optical',
                   seg_map_path='masks')
train_split = dict(ann_file='train.csv', optical_ann_file='opticaltrain.csv')
test_split = dict(ann_file='valid.csv', optical_ann_file='opticalvalid.csv')
# (x / 255 - 0.5) / 0.125, DisOptNet's normalisation, for both sensors.
mean = [127.5] * 4
std = [31.875] * 4
test_geometric = []  # whole tiles
evaluator = dict(type='ifkd.BuildingMetric', min_area=80)
