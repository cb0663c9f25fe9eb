import pytest


@pytest.fixture(scope='session')
def sn6_raw(tmp_path_factory):
    """12 synthetic SpaceNet 6 tiles of 64 px (raw release layout)."""
    from ifkd.datasets.synthetic_spacenet6 import generate_spacenet6
    root = str(tmp_path_factory.mktemp('sn6'))
    generate_spacenet6(root, num_tiles=12, tile_size=64, seed=0)
    return root


@pytest.fixture(scope='session')
def sn6_prep(sn6_raw):
    """The tiles after the baseline's prep step (masks, rotation, splits)."""
    import os.path as osp
    from ifkd.datasets.spacenet6 import prepare_spacenet6
    out = osp.join(sn6_raw, 'prep')
    counts = prepare_spacenet6(sn6_raw, out)
    return out, counts
