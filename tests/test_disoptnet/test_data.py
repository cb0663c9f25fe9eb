"""SpaceNet 6 data: rasterisation, prep (rotation, easting split, CSVs),
the paired dataset, one geometric pipeline for both sensors and the mask,
the synthetic generator, and the early errors."""
import filecmp
import glob
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from ifkd.datasets.spacenet6 import (SpaceNet6Dataset, SpaceNet6Error,
                                     easting_group, prepare_spacenet6,
                                     rasterize_buildings, read_split_csv,
                                     read_tile)
from ifkd.datasets.synthetic_spacenet6 import generate_spacenet6
from ifkd.datasets.transforms.sar_optical import (LoadSAROpticalPair,
                                                  PackSegMultiModalInputs,
                                                  SplitModalities)

X0, Y0 = 593000.0, 5750000.0


def _tif(path, data, x0=X0):
    with rasterio.open(path, 'w', driver='GTiff', height=data.shape[0],
                       width=data.shape[1], count=data.shape[2],
                       dtype=str(data.dtype), crs='EPSG:32631',
                       transform=from_origin(x0, Y0, 0.5, 0.5)) as dst:
        dst.write(data.transpose(2, 0, 1))


def _square(col0, row0, col1, row1):
    """A UTM polygon covering pixel columns col0..col1-1, rows row0..row1-1
    of a 0.5 m grid at (X0, Y0)."""
    xs = [X0 + 0.5 * c for c in (col0, col1)]
    ys = [Y0 - 0.5 * r for r in (row0, row1)]
    return dict(type='Polygon', coordinates=[[
        [xs[0], ys[0]], [xs[1], ys[0]], [xs[1], ys[1]], [xs[0], ys[1]],
        [xs[0], ys[0]]]])


def _geojson(path, geoms, crs=True):
    data = dict(type='FeatureCollection', features=[
        dict(type='Feature', properties={}, geometry=g) for g in geoms])
    if crs:
        data['crs'] = dict(type='name', properties=dict(
            name='urn:ogc:def:crs:EPSG::32631'))
    with open(path, 'w') as f:
        json.dump(data, f)


def test_rasterize_hand_case(tmp_path):
    ref = str(tmp_path / 'ref.tif')
    _tif(ref, np.zeros((16, 16, 1), np.uint8))
    gj = str(tmp_path / 'b.geojson')
    # 10 x 10 px = 25 m² (kept), 8 x 8 px = 16 m² (under 20 m²: dropped).
    _geojson(gj, [_square(2, 3, 12, 13), _square(13, 0, 16, 3)])
    mask = rasterize_buildings(gj, ref)
    want = np.zeros((16, 16), np.uint8)
    want[3:13, 2:12] = 1
    np.testing.assert_array_equal(mask, want)
    # Without the area threshold the small one is drawn too.
    want[0:3, 13:16] = 1
    np.testing.assert_array_equal(rasterize_buildings(gj, ref, 0.0), want)


def test_unparsable_geojson_fails_early(tmp_path):
    ref = str(tmp_path / 'ref.tif')
    _tif(ref, np.zeros((8, 8, 1), np.uint8))
    bad = tmp_path / 'bad.geojson'
    bad.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(SpaceNet6Error, match='bad.geojson.*not valid GeoJSON'):
        rasterize_buildings(str(bad), ref)


def test_generator_is_deterministic(tmp_path):
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    generate_spacenet6(a, num_tiles=3, tile_size=32, seed=5)
    generate_spacenet6(b, num_tiles=3, tile_size=32, seed=5)
    files = sorted(glob.glob(osp.join(a, '*', '*')))
    assert len(files) == 3 * 3 + 1
    for f in files:
        assert filecmp.cmp(f, f.replace(a, b), shallow=False), f


def test_prep_masks_rotation_and_split(sn6_raw, sn6_prep):
    out, counts = sn6_prep
    # The easternmost fifth of the tiles validates (baseline's groups).
    assert counts == {'train': 10, 'valid': 2}
    sars = sorted(glob.glob(osp.join(sn6_raw, 'SAR-Intensity', '*.tif')))
    groups = [easting_group(p) for p in sars]
    assert sorted(set(groups)) == [0, 1, 2, 3, 4]
    valid = {osp.basename(p) for p, _ in
             read_split_csv(osp.join(out, 'valid.csv'))}
    assert valid == {osp.basename(p) for p, g in zip(sars, groups)
                     if g == 4}
    # Masks: the geojson rasterised on the SAR grid; strips imaged from
    # the south (orientation 1) rotated 180° with their images.
    orient = dict(line.split() for line in open(
        osp.join(sn6_raw, 'SummaryData', 'SAR_orientations.txt')))
    rotated = 0
    for sar in sars:
        name = osp.basename(sar)
        tid = name.split('SAR-Intensity_')[1][:-4]
        gj = glob.glob(osp.join(sn6_raw, 'geojson_buildings',
                                f'*_{tid}.geojson'))[0]
        want = rasterize_buildings(gj, sar)
        flip = orient[tid.split('_tile')[0]] == '1'
        if flip:
            want, rotated = want[::-1, ::-1], rotated + 1
        np.testing.assert_array_equal(
            read_tile(osp.join(out, 'masks', name))[..., 0], want)
        raw = read_tile(sar)
        np.testing.assert_array_equal(
            read_tile(osp.join(out, 'sar', name)),
            raw[::-1, ::-1] if flip else raw)
    assert rotated == 6
    # The optical CSV pairs the same tiles with the same masks.
    sar_rows = read_split_csv(osp.join(out, 'train.csv'))
    opt_rows = read_split_csv(osp.join(out, 'opticaltrain.csv'))
    assert [m for _, m in sar_rows] == [m for _, m in opt_rows]


def test_dataset_pairs_tiles(sn6_prep):
    out, _ = sn6_prep
    ds = SpaceNet6Dataset(
        ann_file='train.csv', optical_ann_file='opticaltrain.csv',
        data_root=out, pipeline=[], lazy_init=False)
    assert len(ds) == 10
    for item in ds:
        tid = item['tile_id']
        assert tid in osp.basename(item['optical_path'])
        assert 'PS-RGBNIR' in item['optical_path']
        assert osp.basename(item['seg_map_path']) == \
            osp.basename(item['img_path'])


def test_dataset_reads_moved_csv_paths(sn6_prep, tmp_path):
    """The seed's CSVs hold another machine's absolute paths: files are
    found by name under the data_prefix folders."""
    out, _ = sn6_prep
    moved = tmp_path / 'moved'
    shutil.copytree(out, moved)
    for csv in ('valid.csv', 'opticalvalid.csv'):
        text = (moved / csv).read_text().replace(out, '/home/else/where')
        (moved / csv).write_text(text)
    ds = SpaceNet6Dataset(ann_file='valid.csv',
                          optical_ann_file='opticalvalid.csv',
                          data_root=str(moved), pipeline=[])
    assert len(ds) == 2
    assert all(item['img_path'].startswith(str(moved)) for item in ds)


def test_sar_without_optical_partner_fails(sn6_prep, sn6_raw, tmp_path):
    out, _ = sn6_prep
    rows = read_split_csv(osp.join(out, 'opticaltrain.csv'))[1:]
    partial = tmp_path / 'opticaltrain.csv'
    from ifkd.datasets.spacenet6 import write_split_csv
    write_split_csv(str(partial), rows)
    with pytest.raises(SpaceNet6Error, match='has no optical partner'):
        SpaceNet6Dataset(ann_file='train.csv',
                         optical_ann_file=str(partial), data_root=out,
                         pipeline=[])
    raw = tmp_path / 'raw'
    shutil.copytree(sn6_raw, raw, ignore=shutil.ignore_patterns('prep'))
    os.remove(sorted(glob.glob(str(raw / 'PS-RGBNIR' / '*.tif')))[0])
    with pytest.raises(SpaceNet6Error, match='has no optical partner'):
        prepare_spacenet6(str(raw), str(tmp_path / 'out'))


def test_empty_mask_set_fails(tmp_path, sn6_prep):
    (tmp_path / 'SAR-Intensity').mkdir()
    (tmp_path / 'geojson_buildings').mkdir()
    with pytest.raises(SpaceNet6Error, match='empty mask set'):
        prepare_spacenet6(str(tmp_path), str(tmp_path / 'out'))
    out, _ = sn6_prep
    empty = tmp_path / 'empty.csv'
    empty.write_text('image,label\n')
    with pytest.raises(SpaceNet6Error, match='lists no tiles'):
        SpaceNet6Dataset(ann_file=str(empty), data_root=out, pipeline=[])


def test_mismatched_tile_sizes_fail(tmp_path):
    sar, opt, mask = (str(tmp_path / n) for n in ('s.tif', 'o.tif',
                                                  'm.tif'))
    _tif(sar, np.zeros((16, 16, 4), np.float32))
    _tif(opt, np.zeros((20, 16, 4), np.uint8))
    _tif(mask, np.zeros((16, 16, 1), np.uint8))
    with pytest.raises(SpaceNet6Error, match='Tile sizes differ.*optical '
                       '20x16'):
        LoadSAROpticalPair()(dict(img_path=sar, optical_path=opt,
                                  seg_map_path=mask))


def test_one_geometric_pipeline_for_both_sensors_and_mask(tmp_path):
    """A constructed pair: optical = 2 x SAR + 1 and the mask marks where
    SAR > 0.5, pixel by pixel. After random crops and flips the relation
    still holds everywhere, so all three moved together."""
    from mmcv.transforms import Compose
    from ifkd.registry import TRANSFORMS
    rng = np.random.default_rng(0)
    s = rng.random((24, 24, 4)).astype(np.float32)
    sar, opt, mask = (str(tmp_path / n) for n in ('s.tif', 'o.tif',
                                                  'm.tif'))
    _tif(sar, s)
    _tif(opt, 2 * s + 1)
    _tif(mask, (s[..., :1] > 0.5).astype(np.uint8))
    keys = dict(sar='sar_img', optical='optical_img')
    pipeline = Compose([
        TRANSFORMS.build(t) for t in [
            dict(type='ifkd.LoadSAROpticalPair'),
            dict(type='mmseg.RandomCrop', crop_size=(16, 16)),
            dict(type='mmseg.RandomFlip', prob=0.5),
            dict(type='ifkd.SplitModalities', keys=keys),
            dict(type='ifkd.PackSegMultiModalInputs', modalities=keys)]
    ])
    flips, crops = set(), set()
    for _ in range(12):
        out = pipeline(dict(img_path=sar, optical_path=opt,
                            seg_map_path=mask, seg_fields=[]))
        x, o = out['inputs']['sar'], out['inputs']['optical']
        gt = out['data_samples'].gt_sem_seg.data[0]
        assert x.shape == o.shape == (4, 16, 16)
        np.testing.assert_allclose(o.numpy(), 2 * x.numpy() + 1, rtol=1e-6)
        np.testing.assert_array_equal(gt.numpy(), (x[0] > 0.5).numpy())
        flips.add(out['data_samples'].flip)
        crops.add(float(x[0, 0, 0]))
    assert flips == {True, False} and len(crops) > 3


def test_sar_only_packing(tmp_path):
    sar, mask = str(tmp_path / 's.tif'), str(tmp_path / 'm.tif')
    _tif(sar, np.ones((8, 8, 4), np.float32))
    _tif(mask, np.ones((8, 8, 1), np.uint8))
    keys = dict(sar='sar_img', optical='optical_img')
    res = LoadSAROpticalPair(modalities=('sar', ))(
        dict(img_path=sar, seg_map_path=mask, seg_fields=[]))
    packed = PackSegMultiModalInputs(keys)(SplitModalities(keys)(res))
    assert list(packed['inputs']) == ['sar']
