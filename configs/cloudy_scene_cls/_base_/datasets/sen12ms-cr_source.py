# Real SEN12MS-CR (https://mediatum.ub.tum.de/1554803), 256 x 256 tiles
# used at full size; layout and labels as ifkd.SEN12MSDataset reads them:
#   data/SEN12MS-CR/ROIsXXXX_<season>_{s1,s2,s2_cloudy}/...,
#   IGBP_probability_labels.pkl (SEN12MS classification code) and
#   splits/{source,train,test}.txt (S2 file names, one a line): 'source'
#   the labelled cloud-free patches, 'train' the unlabelled target patches
#   (disjoint from 'source'), 'test' held-out patches scored per cloud-cover
#   bucket.
# Per-band statistics: band_stats.json of the data root, written by
#   python tools/analysis_tools/sen12ms_band_stats.py data/SEN12MS-CR \
#       --split splits/source.txt
# (clear-S2 statistics of the source split; cloudy S2 reuses them).
_base_ = ['./synthetic-sen12ms-cr_source.py']
data_root = 'data/SEN12MS-CR/'
# The SEN12MS classification bands (1-based; ifkd.datasets.sen12ms
# .SEN12MS_CLS_BANDS): B2-B8A and B11-B12. The 60 m atmospheric bands B1,
# B9 and B10 are dropped (the cloud mask is still derived from all 13).
# Changing them means changing the optical models' in_channels too.
s2_bands = (2, 3, 4, 5, 6, 7, 8, 9, 12, 13)
# No cache (~120k patches); SEN12MS-CR ships no cloud masks, so 'auto'
# derives them from the cloudy S2 (DSen2-CR score) unless mask files exist.
load_cfg = dict(type='ifkd.LoadSEN12MSPatch', s2_bands=s2_bands,
                band_stats='band_stats.json', clip=5.0, cloud_mask='auto',
                mask_clouds=True)
# The source trains on clear S2: no cloud mask needed (faster loading).
train_pipeline = [
    dict(load_cfg, keys=dict(img='s2'), cloud_mask=None, mask_clouds=False),
    *_base_.flips,
    dict(type='PackInputs', meta_keys=_base_.meta_keys),
]
# Tested on the test split's clear S2 (with the mask, for the buckets).
test_pipeline = [
    dict(load_cfg, keys=dict(img='s2')),
    dict(type='PackInputs', meta_keys=_base_.meta_keys),
]
loader_cfg = dict(num_workers=8, persistent_workers=True, pin_memory=True)
train_dataloader = dict(
    **loader_cfg,
    dataset=dict(data_root=data_root, ann_file='splits/source.txt',
                 modalities=('s2', ), pipeline=train_pipeline))
val_dataloader = dict(
    **loader_cfg,
    dataset=dict(data_root=data_root, ann_file='splits/test.txt',
                 modalities=('s2', 's1', 's2_cloudy'),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
