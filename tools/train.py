# Train a detector or a distillation algorithm from an ifkd/mmdet config.
import argparse
import os

from mmengine.config import DictAction


def parse_args():
    parser = argparse.ArgumentParser(description='Train a detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or from the latest one in the '
        'work dir when no path is given')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value (e.g. '
        'train_cfg.max_epochs=2 or key="[a,b]")')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    # torch.distributed.run passes --local-rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    import ifkd  # noqa: F401  (registers components, applies compat fixes)
    from ifkd.engine.launch import train
    train(args.config, work_dir=args.work_dir, resume=args.resume,
          amp=args.amp, cfg_options=args.cfg_options, launcher=args.launcher)


if __name__ == '__main__':
    main()
