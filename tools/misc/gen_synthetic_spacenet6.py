"""Generate synthetic SpaceNet 6 tiles (release layout) and prepare them.

    python tools/misc/gen_synthetic_spacenet6.py data/synthetic-spacenet6
"""
import argparse
import os.path as osp

import ifkd  # noqa: F401
from ifkd.datasets.spacenet6 import prepare_spacenet6
from ifkd.datasets.synthetic_spacenet6 import generate_spacenet6


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('out')
    p.add_argument('--num-tiles', type=int, default=200)
    p.add_argument('--tile-size', type=int, default=64)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    generate_spacenet6(args.out, args.num_tiles, args.tile_size, args.seed)
    print(prepare_spacenet6(args.out, osp.join(args.out, 'prep')))


if __name__ == '__main__':
    main()
