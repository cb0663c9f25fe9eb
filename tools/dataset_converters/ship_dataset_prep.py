"""Write seeded, stratified train/test split files for FUSAR-Ship and
OpenSARShip, and the merged ("mixed") set. No image is copied or moved.

Each dataset gets ``<root>/splits/{train,test}.txt`` (one
``<image path> <class>`` a line, paths relative to the root); ``--mixed-out
DIR`` adds ``DIR/splits/{train,test}.txt``: the union of both datasets'
train splits and of their test splits, paths relative to ``DIR``.

Example:
    python tools/dataset_converters/ship_dataset_prep.py \
        --fusar data/FUSAR_Ship1.0 --opensarship data/OpenSARShip \
        --mixed-out data/sar-ship-mixed --test-ratio 0.2 --seed 0
"""
import argparse
from typing import Dict, List, Optional, Sequence

from ifkd.datasets.fusar_ship import scan_fusar
from ifkd.datasets.opensarship import scan_opensarship
from ifkd.datasets.ship_classes import (FUSAR_CLASS_MAP,
                                        OPENSARSHIP_CLASS_MAP, SHIP_CLASSES)
from ifkd.datasets.ship_splits import (check_image, class_counts,
                                       write_mixed, write_splits)


def parse_args(argv: Optional[Sequence[str]] = None):
    parser = argparse.ArgumentParser(
        description='Seeded stratified split files for FUSAR-Ship, '
        'OpenSARShip and their merged set (no image copies).')
    parser.add_argument('--fusar', help='FUSAR-Ship root (holds Cargo/, ...)')
    parser.add_argument('--opensarship', help='OpenSARShip root')
    parser.add_argument(
        '--mixed-out', help='also write the merged set to this folder')
    parser.add_argument(
        '--test-ratio', type=float, default=0.2,
        help='test share of each class (%(default)s, i.e. 80/20)')
    parser.add_argument(
        '--seed', type=int, default=0, help='random seed (%(default)s)')
    parser.add_argument(
        '--category-map', nargs='+', default=[], metavar='FOLDER=CLASS',
        help='map more FUSAR-Ship category folders to classes, e.g. '
        'Cargo=Cargo OilTanker=Tanker')
    parser.add_argument(
        '--patch-dir', default='Patch_RGB',
        help="OpenSARShip patch folder name ('' for any; %(default)s)")
    parser.add_argument(
        '--polarization', default='vv',
        help="OpenSARShip polarisation ('' for all; %(default)s)")
    parser.add_argument(
        '--no-check', action='store_true',
        help='skip the header check of every listed image')
    args = parser.parse_args(argv)
    if not (args.fusar or args.opensarship):
        parser.error('give --fusar and/or --opensarship')
    return args


def parse_mapping(items: List[str], base: Dict[str, str]) -> Dict[str, str]:
    """``['A=Cargo', ...]`` on top of ``base``; classes must be known."""
    mapping = dict(base)
    for item in items:
        folder, sep, cls = item.partition('=')
        if not sep or cls not in SHIP_CLASSES:
            raise ValueError(f'--category-map {item!r}: expected FOLDER=CLASS '
                             f'with CLASS one of {SHIP_CLASSES}')
        mapping[folder] = cls
    return mapping


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    found = {}
    if args.fusar:
        found[args.fusar] = scan_fusar(
            args.fusar, parse_mapping(args.category_map, FUSAR_CLASS_MAP))
    if args.opensarship:
        found[args.opensarship] = scan_opensarship(
            args.opensarship, args.patch_dir or None,
            args.polarization or None, OPENSARSHIP_CLASS_MAP)
    if not args.no_check:  # all of them before any split file is written
        for root, samples in found.items():
            for path, _ in samples:
                check_image(f'{root}/{path}', root)
    parts = {}
    for root, samples in found.items():
        parts[root] = write_splits(root, samples, args.test_ratio, args.seed)
        _report(root, parts[root])
    if args.mixed_out:
        parts[args.mixed_out] = write_mixed(args.mixed_out, dict(parts))
        _report(args.mixed_out, parts[args.mixed_out])
    return parts


def _report(root: str, splits) -> None:
    for name, samples in zip(('train', 'test'), splits):
        print(f'{root}/splits/{name}.txt: {len(samples)} chips '
              f'{class_counts(samples, SHIP_CLASSES)}')


if __name__ == '__main__':
    main()
