"""Generate the synthetic EO / SAR vehicle pair set in the MAVOC layout.

Example:
    python tools/misc/gen_synthetic_eo_sar.py --out data/synthetic-eo-sar
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))

from ifkd.datasets.synthetic_eo_sar import (  # noqa: E402
    generate_eo_sar_dataset, generator_args)


def parse_args(argv: Optional[Sequence[str]] = None):
    d = generator_args()
    parser = argparse.ArgumentParser(
        description='Write deterministic synthetic EO/SAR chip pairs of ten '
        'vehicle classes (challenge long tail) and a SAR test folder with '
        'labels and OOD chips.')
    parser.add_argument('--out', required=True, help='output data root')
    helps = dict(
        num_train='training pairs', img_size='chip side in px',
        seed='random seed', tracks_per_class='test tracks per class',
        ood_tracks='test tracks of OOD vehicles',
        track_len='chips per test track',
        imbalance_power='exponent on the challenge counts (1: its full '
        '1000:1 tail)',
        sar_noise='speckle coefficient of variation; higher is harder')
    for name, text in helps.items():
        parser.add_argument(
            '--' + name.replace('_', '-'), type=type(d[name]),
            default=d[name], help=f'{text} (%(default)s)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = vars(parse_args(argv))
    out = args.pop('out')
    result = generate_eo_sar_dataset(out, **args)
    print(f'wrote {sum(result["counts"].values())} training pairs '
          f'{result["counts"]} and {result["num_test"]} test chips '
          f'({result["num_ood"]} OOD) to {out}')
    return result


if __name__ == '__main__':
    main()
