"""The synthetic generator, the paired / test datasets and their early
errors, and one geometric draw per pair."""
import glob
import hashlib
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from ifkd.datasets import EOSARTestDataset, PairedEOSARDataset
from ifkd.datasets.eo_sar_classes import EO_SAR_CLASSES


def _digest(root):
    h = hashlib.sha256()
    for path in sorted(glob.glob(osp.join(root, '**', '*'), recursive=True)):
        if osp.isfile(path):
            h.update(path[len(root):].encode())
            with open(path, 'rb') as f:
                h.update(f.read())
    return h.hexdigest()


def test_generator_is_deterministic_long_tailed_and_paired(tiny_eo_sar,
                                                           tmp_path):
    from ifkd.datasets.synthetic_eo_sar import generate_eo_sar_dataset
    again = str(tmp_path / 'again')
    result = generate_eo_sar_dataset(again, num_train=30, tracks_per_class=1,
                                     ood_tracks=2, track_len=2)
    assert _digest(again) == _digest(tiny_eo_sar)
    counts = list(result['counts'].values())
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    assert result['num_ood'] == 4 and result['num_test'] == 24
    # EO: 3 channels; SAR: 1 channel; same ids in both trees
    eo = sorted(glob.glob(osp.join(again, 'train', 'EO', '*', '*.png')))
    sar = sorted(glob.glob(osp.join(again, 'train', 'SAR', '*', '*.png')))
    assert [p.replace('EO', 'X') for p in eo] == \
        [p.replace('SAR', 'X') for p in sar]
    assert np.asarray(Image.open(eo[0])).ndim == 3
    assert np.asarray(Image.open(sar[0])).ndim == 2
    assert osp.isdir(osp.join(again, 'test_eo'))


def test_paired_dataset_items(tiny_eo_sar):
    ds = PairedEOSARDataset(data_root=tiny_eo_sar)
    assert len(ds) == 30
    item = ds.get_data_info(0)
    assert item['eo_path'].endswith(f'EO_{item["img_id"]}.png')
    assert item['sar_path'].endswith(f'SAR_{item["img_id"]}.png')
    assert EO_SAR_CLASSES[item['gt_label']] in item['eo_path']
    sar_only = PairedEOSARDataset(data_root=tiny_eo_sar,
                                  modalities=('sar', ))
    assert sar_only.get_data_info(0)['img_path'] == item['sar_path']


def test_missing_partner_fails_early(eo_sar_copy):
    victim = sorted(glob.glob(osp.join(eo_sar_copy, 'train', 'SAR', 'van',
                                       '*.png')))[0]
    os.remove(victim)
    cid = osp.basename(victim)[4:-4]
    with pytest.raises(ValueError, match=rf'\({cid}\).*EO file but no SAR'):
        PairedEOSARDataset(data_root=eo_sar_copy)
    # SAR alone does not need the pair
    PairedEOSARDataset(data_root=eo_sar_copy, modalities=('sar', ))


def test_class_folder_in_one_modality_fails(eo_sar_copy):
    os.makedirs(osp.join(eo_sar_copy, 'train', 'EO', 'bus_2'))
    with pytest.raises(ValueError, match=r"\['bus_2'\] exist in .*EO"):
        PairedEOSARDataset(data_root=eo_sar_copy)


def test_unknown_class_folder_fails(eo_sar_copy):
    for m in ('EO', 'SAR'):
        os.makedirs(osp.join(eo_sar_copy, 'train', m, 'tractor'))
    with pytest.raises(ValueError, match=r"unknown class folder.*tractor"):
        PairedEOSARDataset(data_root=eo_sar_copy)


def test_corrupt_image_fails(eo_sar_copy):
    victim = sorted(glob.glob(osp.join(eo_sar_copy, 'train', 'EO', 'bus',
                                       '*.png')))[0]
    with open(victim, 'wb') as f:
        f.write(b'not a png')
    with pytest.raises(ValueError, match='corrupt image .*EO_'):
        PairedEOSARDataset(data_root=eo_sar_copy)


def test_test_set_labels_and_ood(tiny_eo_sar):
    ds = EOSARTestDataset(data_root=tiny_eo_sar,
                          labels_file='test_labels.csv',
                          ood_file='test_ood.txt')
    assert len(ds) == 24 and sum(ds.is_ood()) == 4
    with open(osp.join(tiny_eo_sar, 'test_ood.txt')) as f:
        ood = {int(line) for line in f}
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        assert (info['gt_label'] == -1) == (info['img_id'] in ood)
    blind = EOSARTestDataset(data_root=tiny_eo_sar)
    assert 'gt_label' not in blind.get_data_info(0)


def test_test_id_list_mismatch_fails(eo_sar_copy):
    ids = osp.join(eo_sar_copy, 'test', 'ids.txt')
    with open(ids, 'a') as f:
        f.write('999999\n')
    with pytest.raises(ValueError, match=r'does not match.*999999.*no file'):
        EOSARTestDataset(data_root=eo_sar_copy)
    with open(ids) as f:
        lines = f.readlines()
    with open(ids, 'w') as f:
        f.writelines(lines[1:-1])  # first id dropped, the bogus one too
    with pytest.raises(ValueError, match=rf'{lines[0].strip()}.*not listed'):
        EOSARTestDataset(data_root=eo_sar_copy)


def test_unlabelled_test_id_fails(tiny_eo_sar):
    with pytest.raises(ValueError, match='neither in .*ood_file'):
        EOSARTestDataset(data_root=tiny_eo_sar,
                         labels_file='test_labels.csv')


def test_one_geometric_draw_per_pair():
    """Inside TransformBroadcaster the flip and rotation drawn for EO are
    applied to SAR: the SAR chip stays the EO chip's first channel, and
    every orientation occurs."""
    from mmcv.transforms import Compose
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')
    pipeline = Compose([
        dict(type='TransformBroadcaster',
             mapping=dict(img=['eo_img', 'sar_img']), auto_remap=True,
             share_random_params=True,
             transforms=[
                 dict(type='RandomFlip', prob=0.5, direction='horizontal'),
                 dict(type='ifkd.RandomRot90', prob=0.75)
             ])
    ])
    sar = np.arange(12, dtype=np.uint8).reshape(3, 4)
    eo = np.stack([sar, sar + 50, sar + 100], -1)
    seen = set()
    for _ in range(60):
        out = pipeline(dict(eo_img=eo.copy(), sar_img=sar.copy()))
        np.testing.assert_array_equal(out['eo_img'][..., 0], out['sar_img'])
        seen.add(out['sar_img'].tobytes())
    assert len(seen) == 8  # the dihedral group of a 3 x 4 image


def test_rot90_rotates_counter_clockwise():
    from ifkd.datasets.transforms import RandomRot90
    img = np.array([[1, 2], [3, 4]])
    out = RandomRot90(prob=1., angles=(90, ))(
        dict(img=img, gt_seg_map=img + 10))
    assert out['img'].tolist() == [[2, 4], [1, 3]] and out['rot90'] == 90
    assert out['gt_seg_map'].tolist() == [[12, 14], [11, 13]]
    with pytest.raises(ValueError, match='multiples of 90'):
        RandomRot90(angles=(45, ))


def test_id_list_selects_a_split(eo_sar_copy):
    ids = [PairedEOSARDataset(data_root=eo_sar_copy).get_data_info(i)
           ['img_id'] for i in (5, 1, 3)]
    with open(osp.join(eo_sar_copy, 'val.txt'), 'w') as f:
        f.write(''.join(f'{i}\n' for i in ids))
    ds = PairedEOSARDataset(data_root=eo_sar_copy, ann_file='val.txt')
    assert [ds.get_data_info(i)['img_id'] for i in range(3)] == ids
    with open(osp.join(eo_sar_copy, 'val.txt'), 'a') as f:
        f.write('424242\n')
    with pytest.raises(ValueError, match=r'424242.*no chips'):
        PairedEOSARDataset(data_root=eo_sar_copy, ann_file='val.txt')
