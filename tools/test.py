# Evaluate a checkpoint (detector or exported student) on a config's test set.
import argparse
import os

from mmengine.config import DictAction


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='dir for the metrics file')
    parser.add_argument('--out', help='dump predictions to a .pkl file')
    parser.add_argument('--show', action='store_true', help='show results')
    parser.add_argument('--show-dir', help='save painted images here')
    parser.add_argument('--wait-time', type=float, default=2,
                        help='the interval of show (s)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    import ifkd  # noqa: F401
    from ifkd.engine.launch import test
    test(args.config, args.checkpoint, work_dir=args.work_dir, out=args.out,
         show=args.show, show_dir=args.show_dir, wait_time=args.wait_time,
         cfg_options=args.cfg_options, launcher=args.launcher)


if __name__ == '__main__':
    main()
