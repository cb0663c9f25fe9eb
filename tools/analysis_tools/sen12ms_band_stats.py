"""Per-band normalisation statistics of a SEN12MS / SEN12MS-CR split.

Mean and standard deviation of every band of the clear S2 tiles
(reflectance, DN / 10000 clipped to [0, 1]) and of the S1 tiles (dB clipped
to [-25, 0]), read through ``ifkd.LoadSEN12MSPatch`` exactly as training
reads them, written to ``<data_root>/band_stats.json`` for the configs'
``band_stats``. Cloudy S2 is normalised with the clear statistics.

    python tools/analysis_tools/sen12ms_band_stats.py data/SEN12MS-CR \
        --split splits/train.txt
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('data_root')
    p.add_argument('--split', default='splits/train.txt',
                   help="split file under data_root ('' = every patch)")
    p.add_argument('--layout', default='sen12ms-cr',
                   choices=['sen12ms-cr', 'sen12ms'])
    p.add_argument('--out', help='default: DATA_ROOT/band_stats.json')
    args = p.parse_args(argv)
    from ifkd.datasets.sen12ms_stats import write_band_stats
    print(write_band_stats(args.data_root, args.split, args.out,
                           layout=args.layout))


if __name__ == '__main__':
    main()
