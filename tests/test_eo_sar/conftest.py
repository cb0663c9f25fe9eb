import os.path as osp
import shutil

import pytest


@pytest.fixture(scope='session')
def tiny_eo_sar(tmp_path_factory):
    """A 30-pair synthetic EO/SAR set with one test track per class."""
    from ifkd.datasets.synthetic_eo_sar import generate_eo_sar_dataset
    root = str(tmp_path_factory.mktemp('tiny-eo-sar'))
    generate_eo_sar_dataset(root, num_train=30, tracks_per_class=1,
                            ood_tracks=2, track_len=2)
    return root


@pytest.fixture
def eo_sar_copy(tiny_eo_sar, tmp_path):
    """A throw-away copy of the tiny set, to damage."""
    dst = osp.join(str(tmp_path), 'copy')
    shutil.copytree(tiny_eo_sar, dst)
    return dst
