"""SEN12MS / SEN12MS-CR reading, labels, cloud masks, statistics and the
synthetic generator, against hand-written cases and numpy."""
import json
import os
import os.path as osp
import pickle

import numpy as np
import pytest

from ifkd.datasets.cloud_mask import derive_cloud_mask
from ifkd.datasets.sen12ms import (SEN12MS_CLS_BANDS, SEN12MSDataset,
                                   igbp_to_simplified, load_pickle,
                                   patch_paths, simplified_label)
from ifkd.datasets.sen12ms_stats import write_band_stats
from ifkd.datasets.synthetic_sen12ms import (CLOUD_SPECTRUM, SIGNATURES,
                                             generate_sen12ms_dataset,
                                             write_tile)
from ifkd.datasets.transforms.load_sen12ms import LoadSEN12MSPatch, read_tile


def test_igbp_mapping_hand_cases():
    probs = np.zeros(17)
    probs[[0, 1, 9]] = [0.3, 0.3, 0.4]  # two forests beat grassland
    assert igbp_to_simplified(probs).tolist() == [
        0.6, 0, 0, 0.4, 0, 0, 0, 0, 0, 0]
    assert simplified_label(probs) == 0 and int(np.argmax(probs)) == 9
    probs = np.zeros(17)
    probs[[11, 13, 12]] = [0.25, 0.25, 0.45]  # crop + mosaic -> croplands
    assert simplified_label(probs) == 5
    probs = np.zeros(17)
    probs[[5, 6, 7, 8]] = [0.2, 0.2, 0.3, 0.3]  # savanna 0.6 vs shrub 0.4
    assert simplified_label(probs) == 2
    for igbp, simple in [(10, 4), (14, 7), (15, 8), (16, 9), (12, 6)]:
        one = np.eye(17)[igbp]
        assert simplified_label(one) == simple
    with pytest.raises(ValueError, match='17'):
        igbp_to_simplified(np.ones(10))


def test_patch_paths_both_layouts():
    cr = patch_paths('ROIs1158_spring_s2_12_p345.tif')
    assert cr['s1'] == 'ROIs1158_spring_s1/s1_12/ROIs1158_spring_s1_12_p345.tif'
    assert cr['s2_cloudy'] == ('ROIs1158_spring_s2_cloudy/s2_cloudy_12/'
                               'ROIs1158_spring_s2_cloudy_12_p345.tif')
    ms = patch_paths('ROIs1868_summer_s2_1_p7.tif', 'sen12ms')
    assert ms['s1'] == 'ROIs1868_summer/s1_1/ROIs1868_summer_s1_1_p7.tif'
    with pytest.raises(ValueError, match='not a SEN12MS S2 file name'):
        patch_paths('foo.tif')


def test_band_selection_and_interleave(tmp_path):
    # band b (1-based) holds DN 100 * b everywhere
    tile = np.stack([np.full((4, 4), 100 * b, np.uint16)
                     for b in range(1, 14)])
    write_tile(str(tmp_path / 'planar.tif'), tile)
    write_tile(str(tmp_path / 'contig.tif'), tile, interleave='pixel')
    a, b = read_tile(str(tmp_path / 'planar.tif')), read_tile(
        str(tmp_path / 'contig.tif'))
    np.testing.assert_array_equal(a, b)
    loader = LoadSEN12MSPatch(keys=dict(img='s2'),
                              s2_bands=SEN12MS_CLS_BANDS, cloud_mask=None)
    out = loader.load(str(tmp_path / 'planar.tif'), 's2')
    # B2..B8A and B11, B12 as reflectance
    want = [0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.12, 0.13]
    np.testing.assert_allclose(out[0, 0], want, rtol=1e-6)
    with pytest.raises(ValueError, match='1-based'):
        LoadSEN12MSPatch(keys=dict(img='s2'), s2_bands=(0, 1))


def test_s1_clip_and_normalisation(tmp_path):
    s1 = np.stack([np.full((2, 2), -30., np.float32),
                   np.full((2, 2), 3., np.float32)])
    write_tile(str(tmp_path / 's1.tif'), s1)
    stats = dict(s2=dict(mean=[0.] * 13, std=[1.] * 13),
                 s1=dict(mean=[-20., -5.], std=[2., 4.]))
    with open(tmp_path / 'stats.json', 'w') as f:
        json.dump(stats, f)
    loader = LoadSEN12MSPatch(keys=dict(img='s1'), band_stats='stats.json',
                              cloud_mask=None)
    out = loader.transform(dict(s1_path=str(tmp_path / 's1.tif'),
                                data_root=str(tmp_path)))['img']
    # clipped to [-25, 0] dB, then (x - mean) / std
    np.testing.assert_allclose(out[0, 0], [(-25 + 20) / 2, (0 + 5) / 4])


def test_errors_band_count_nodata(tmp_path):
    write_tile(str(tmp_path / 'twelve.tif'),
               np.ones((12, 4, 4), np.uint16))
    loader = LoadSEN12MSPatch(keys=dict(img='s2'), cloud_mask=None)
    with pytest.raises(ValueError, match='has 12 bands; a s2 tile has 13'):
        loader.load(str(tmp_path / 'twelve.tif'), 's2')
    s1 = np.full((2, 4, 4), -10., np.float32)
    s1[1, 0, 0] = np.nan
    write_tile(str(tmp_path / 'nan.tif'), s1)
    with pytest.raises(ValueError, match='1 NaN/inf'):
        loader.load(str(tmp_path / 'nan.tif'), 's1')
    fill = LoadSEN12MSPatch(keys=dict(img='s1'), nodata='fill',
                            cloud_mask=None)
    out = fill.load(str(tmp_path / 'nan.tif'), 's1')
    assert out[0, 0, 1] == 0. and out[1, 1, 0] == -10.  # filled, kept
    (tmp_path / 'broken.tif').write_bytes(b'not a tiff')
    with pytest.raises(OSError, match='corrupt'):
        read_tile(str(tmp_path / 'broken.tif'))


def test_derived_cloud_mask_hand_case():
    s2 = np.tile(SIGNATURES[0], (32, 32, 1))  # forest
    s2[:, :16] = CLOUD_SPECTRUM  # left half under a thick cloud
    mask = derive_cloud_mask(s2)
    assert mask[:, :10].all() and not mask[:, 22:].any()
    snow = np.tile(SIGNATURES[7], (16, 16, 1))  # bright but NDSI high
    assert not derive_cloud_mask(snow).any()


@pytest.fixture(scope='module')
def tiny_set(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('sen12ms'))
    generate_sen12ms_dataset(root, num_source=6, num_train=4, num_test=12,
                             img_size=16, cloud_cover=(0.2, 0.8), seed=3)
    return root


def test_generator_deterministic_and_layout(tiny_set, tmp_path):
    again = str(tmp_path / 'again')
    generate_sen12ms_dataset(again, num_source=6, num_train=4, num_test=12,
                             img_size=16, cloud_cover=(0.2, 0.8), seed=3)
    name = 'ROIs1158_spring_s2_1_p0.tif'
    for rel in patch_paths(name).values():
        with open(osp.join(tiny_set, rel), 'rb') as f1, open(
                osp.join(again, rel), 'rb') as f2:
            assert f1.read() == f2.read()
    labels = load_pickle(osp.join(tiny_set, 'IGBP_probability_labels.pkl'))
    assert len(labels) == 22
    # every label is the generator's class (index mod 10)
    names = open(osp.join(tiny_set, 'splits', 'test.txt')).read().split()
    for name in names:
        index = int(name.rsplit('_p', 1)[1][:-4])
        assert simplified_label(labels[name]) == index % 10
    # clouds: optical only, cover within the drawn range (soft edges)
    ds = SEN12MSDataset(data_root=tiny_set, ann_file='splits/test.txt',
                        modalities=('s2', 's2_cloudy', 's1'))
    covers = []
    for i in range(len(ds)):
        item = ds.get_data_info(i)
        mask = read_tile(item['cloud_mask_path'])[..., 0]
        clear, cloudy = (read_tile(item[k]) for k in ('s2_path',
                                                      's2_cloudy_path'))
        covers.append(mask.mean())
        # the cirrus band B10 (dark on every clear surface) lights up
        # exactly where the mask says cloud
        assert clear[..., 10].max() < 200
        assert cloudy[..., 10][mask > 0].min() > 1000
        assert (cloudy[..., 10][mask == 0] < 1700).all()  # opacity < 0.5
    assert 0.1 <= min(covers) and max(covers) <= 0.9


def test_dataset_errors(tiny_set, tmp_path):
    with pytest.raises(ValueError, match='lists no patches'):
        (tmp_path / 'empty.txt').write_text('\n')
        SEN12MSDataset(data_root=tiny_set, ann_file=str(tmp_path /
                                                         'empty.txt'))
    missing = str(tmp_path / 'missing')
    generate_sen12ms_dataset(missing, num_source=1, num_train=1, num_test=1,
                             img_size=8, seed=0)
    os.remove(osp.join(missing, patch_paths('ROIs1868_summer_s2_1_p1.tif')
                       ['s1']))
    with pytest.raises(FileNotFoundError, match='its s1 partner .* missing'):
        SEN12MSDataset(data_root=missing, ann_file='splits/train.txt')


def test_label_pickle_refuses_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ('true', ))

    with open(tmp_path / 'evil.pkl', 'wb') as f:
        pickle.dump({'x': Evil()}, f)
    with pytest.raises(pickle.UnpicklingError, match='not allowed'):
        load_pickle(str(tmp_path / 'evil.pkl'))


def test_band_stats_tool_matches_numpy(tiny_set, tmp_path):
    out = write_band_stats(tiny_set, 'splits/source.txt',
                           str(tmp_path / 'stats.json'))
    with open(out) as f:
        stats = json.load(f)
    names = open(osp.join(tiny_set, 'splits', 'source.txt')).read().split()
    s2 = np.concatenate([
        read_tile(osp.join(tiny_set, patch_paths(n)['s2'])).reshape(-1, 13)
        for n in names]) / 10000.
    s1 = np.clip(np.concatenate([
        read_tile(osp.join(tiny_set, patch_paths(n)['s1'])).reshape(-1, 2)
        for n in names]), -25, 0)
    np.testing.assert_allclose(stats['s2']['mean'], s2.mean(0), atol=2e-6)
    np.testing.assert_allclose(stats['s2']['std'], s2.std(0), atol=2e-6)
    np.testing.assert_allclose(stats['s1']['mean'], s1.mean(0), atol=2e-5)
    np.testing.assert_allclose(stats['s1']['std'], s1.std(0), atol=2e-5)


def test_mask_clouds_and_cover(tiny_set):
    ds = SEN12MSDataset(data_root=tiny_set, ann_file='splits/test.txt')
    item = ds.get_data_info(0)
    keys = dict(opt='s2_cloudy', sar='s1')
    plain = LoadSEN12MSPatch(keys=keys)(dict(item))
    masked = LoadSEN12MSPatch(keys=keys, mask_clouds=True)(dict(item))
    mask = read_tile(item['cloud_mask_path'])[..., 0] > 0.5
    assert masked['cloud_cover'] == pytest.approx(mask.mean())
    assert (masked['opt'][mask] == 0).all()
    np.testing.assert_array_equal(masked['opt'][~mask], plain['opt'][~mask])
    np.testing.assert_array_equal(masked['sar'], plain['sar'])  # SAR kept
    with pytest.raises(ValueError, match='needs a cloud_mask'):
        LoadSEN12MSPatch(keys=keys, mask_clouds=True, cloud_mask=None)
