"""Generate a small synthetic dataset in the SAR-AIRcraft-1.0 layout.

The result can be used anywhere the real dataset is expected, e.g. with
``SARAircraftDataset(data_root=OUT, ann_file='ImageSets/Main/train.txt')``.

Example:
    python tools/misc/gen_synthetic_sar_aircraft.py --out data/sar_synth
"""
import argparse

from ifkd.datasets.synthetic import generate_dataset, load_stats


def parse_args():
    parser = argparse.ArgumentParser(
        description='Write a deterministic synthetic SAR-AIRcraft-1.0 look-'
        'alike (JPEGImages/, Annotations/, ImageSets/Main/{train,test}.txt) '
        'whose class frequencies and box sizes follow the real dataset.')
    parser.add_argument('--out', required=True, help='output data root')
    parser.add_argument(
        '--num-train', type=int, default=24, help='train images (%(default)s)')
    parser.add_argument(
        '--num-test', type=int, default=8, help='test images (%(default)s)')
    parser.add_argument(
        '--img-size',
        type=int,
        default=256,
        help='side of the square images in px (%(default)s)')
    parser.add_argument(
        '--scene-size',
        type=int,
        default=None,
        help='boxes keep their real size relative to a scene of this side, '
        'i.e. images are crops of it (default: --img-size, whole scenes); '
        'boxes are at least 12 px and at most half the image')
    parser.add_argument(
        '--seed', type=int, default=0, help='random seed (%(default)s)')
    parser.add_argument(
        '--max-objects',
        type=int,
        default=10,
        help='cap on objects per image (%(default)s)')
    parser.add_argument(
        '--stats',
        default=None,
        help='statistics json (default: the packaged '
        'ifkd/datasets/sar_aircraft_stats.json)')
    return parser.parse_args()


def main():
    args = parse_args()
    splits = generate_dataset(
        args.out,
        num_train=args.num_train,
        num_test=args.num_test,
        img_size=args.img_size,
        seed=args.seed,
        max_objects=args.max_objects,
        stats=load_stats(args.stats),
        scene_size=args.scene_size)
    print(f"wrote {len(splits['train'])} train / {len(splits['test'])} test "
          f'images to {args.out}')


if __name__ == '__main__':
    main()
