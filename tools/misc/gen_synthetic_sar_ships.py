"""Generate a synthetic SAR ship-chip set in the FUSAR-Ship layout.

The result can be used wherever FUSAR-Ship is expected, e.g. with
``FUSARShipDataset(data_root=OUT, ann_file='splits/train.txt')``.

Example:
    python tools/misc/gen_synthetic_sar_ships.py --out data/synthetic-sar-ship
"""
import argparse
from typing import Optional, Sequence

from ifkd.datasets.ship_classes import CLASS_FREQUENCIES
from ifkd.datasets.synthetic_ships import generate_ship_dataset


def parse_args(argv: Optional[Sequence[str]] = None):
    parser = argparse.ArgumentParser(
        description='Write deterministic synthetic SAR ship chips (Cargo / '
        'Fishing / Tanker) in the FUSAR-Ship category/subcategory layout, '
        'with seeded stratified splits/{train,test}.txt.')
    parser.add_argument('--out', required=True, help='output data root')
    parser.add_argument(
        '--num-images', type=int, default=300,
        help='chips in all (%(default)s)')
    parser.add_argument(
        '--img-size', type=int, default=64,
        help='chip side in px (%(default)s; FUSAR-Ship: 512)')
    parser.add_argument(
        '--seed', type=int, default=0, help='random seed (%(default)s)')
    parser.add_argument(
        '--test-ratio', type=float, default=0.2,
        help='test share of each class (%(default)s)')
    parser.add_argument(
        '--imbalance', default='fusar', choices=sorted(CLASS_FREQUENCIES),
        help='class frequencies of this real set (%(default)s)')
    parser.add_argument(
        '--noise', type=float, default=0.7,
        help='speckle strength, 1/sqrt(looks); higher is harder '
        '(%(default)s)')
    parser.add_argument(
        '--size-jitter', type=float, default=1.0,
        help='spread of the per-class hull sizes; higher is harder '
        '(%(default)s)')
    parser.add_argument(
        '--clutter', type=float, default=0.3,
        help='probability of a second, unrelated target (%(default)s)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    result = generate_ship_dataset(
        args.out, num_images=args.num_images, img_size=args.img_size,
        seed=args.seed, test_ratio=args.test_ratio, imbalance=args.imbalance,
        noise=args.noise, size_jitter=args.size_jitter, clutter=args.clutter)
    print(f"wrote {len(result['train'])} train / {len(result['test'])} test "
          f"chips to {args.out}: {result['counts']}")
    return result


if __name__ == '__main__':
    main()
