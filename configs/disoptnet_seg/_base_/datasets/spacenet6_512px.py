# SpaceNet 6 (Rotterdam) after tools/dataset_converters/spacenet6_prep.py:
# 900 px tiles, DisOptNet's random 512 crops + flips for training, the
# 512 centre crop for validation / test.
dataset_type = 'ifkd.SpaceNet6Dataset'
data_root = 'data/SpaceNet6/prep/'
crop_size = (512, 512)
geometric = [
    dict(type='mmseg.RandomCrop', crop_size=crop_size),
    dict(type='mmseg.RandomFlip', prob=0.5, direction='horizontal'),
]
test_geometric = [dict(type='mmcv.CenterCrop', crop_size=crop_size)]
data_prefix = dict(img_path='sar', optical_path='optical',
                   seg_map_path='masks')
train_split = dict(ann_file='train.csv', optical_ann_file='opticaltrain.csv')
test_split = dict(ann_file='valid.csv', optical_ann_file='opticalvalid.csv')
# (x / 255 - 0.5) / 0.125, DisOptNet's normalisation, for both sensors.
mean = [127.5] * 4
std = [31.875] * 4
evaluator = dict(type='ifkd.BuildingMetric', min_area=80)
