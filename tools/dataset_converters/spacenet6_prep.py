"""Prepare SpaceNet 6 for ifkd.SpaceNet6Dataset the SN6 baseline's way:
building masks (over 20 m²) rasterised onto each SAR tile, 180° rotation
of strips imaged from the south, easting-group split (the easternmost
validates), DisOptNet's train/valid CSVs.

    python tools/dataset_converters/spacenet6_prep.py ROOT OUT
"""
import argparse

import ifkd  # noqa: F401
from ifkd.datasets.spacenet6 import MIN_AREA_M2, prepare_spacenet6


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('root', help='AOI_11_Rotterdam folder of the release')
    p.add_argument('out', help='output folder (sar/, optical/, masks/, '
                   'CSVs)')
    p.add_argument('--optical-dir', default='PS-RGBNIR')
    p.add_argument('--no-rotate', action='store_true')
    p.add_argument('--min-area', type=float, default=MIN_AREA_M2,
                   help='smallest building kept, m²')
    args = p.parse_args(argv)
    counts = prepare_spacenet6(args.root, args.out, args.optical_dir,
                               not args.no_rotate, args.min_area)
    print(f'{counts["train"]} train / {counts["valid"]} valid tiles in '
          f'{args.out}')


if __name__ == '__main__':
    main()
