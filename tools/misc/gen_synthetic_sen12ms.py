"""Generate the synthetic cloudy-scene set (SEN12MS-CR layout) and its
per-band statistics.

    python tools/misc/gen_synthetic_sen12ms.py data/synthetic-sen12ms-cr \
        --num-source 400 --num-train 400 --num-test 300 --img-size 32

See ``ifkd/datasets/synthetic_sen12ms.py`` for what the patches show.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('out_dir')
    p.add_argument('--num-source', type=int, default=400)
    p.add_argument('--num-train', type=int, default=400)
    p.add_argument('--num-test', type=int, default=300)
    p.add_argument('--img-size', type=int, default=32)
    p.add_argument('--cloud-cover', type=float, nargs=2, default=(0., 1.),
                   metavar=('LOW', 'HIGH'))
    p.add_argument('--looks', type=float, default=4.)
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def main(argv=None):
    from ifkd.datasets.synthetic_sen12ms import generate_sen12ms_dataset
    from ifkd.datasets.sen12ms_stats import write_band_stats
    args = parse_args(argv)
    counts = generate_sen12ms_dataset(
        args.out_dir, num_source=args.num_source, num_train=args.num_train,
        num_test=args.num_test, img_size=args.img_size,
        cloud_cover=args.cloud_cover, looks=args.looks, seed=args.seed)
    stats = write_band_stats(args.out_dir, 'splits/source.txt')
    print(f'wrote {counts} patches to {args.out_dir}; band statistics in '
          f'{stats}')


if __name__ == '__main__':
    main()
