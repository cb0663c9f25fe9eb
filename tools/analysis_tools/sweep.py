# Run a hyperparameter grid (e.g. the paper's Fig. 5 alpha / beta studies).
#
#   python tools/analysis_tools/sweep.py CONFIG \
#       --grid alpha=0.02,0.06,0.1 --grid beta=0.5 --work-dir DIR \
#       [--cfg-options k=v ...] [--amp ...]
#
# Each grid point trains in DIR/<point name> (e.g. DIR/alpha-0.02_beta-0.5)
# through tools/train.py. A point whose final checkpoint exists is skipped;
# one with checkpoints but no final one is resumed (--resume). DIR/sweep.json
# records the grid for collect_results.py --plot.
#
# --grid KEY=V1,V2,... takes any config key (model.distiller.distill_losses.
# loss_feat_fpn0.loss_weight=...); the shorthands alpha= / beta= set every
# loss_feat_fpn* / loss_head_fpn* loss_weight of the distiller at once.
import argparse
import itertools
import json
import os
import os.path as osp
import re
import subprocess
import sys
from typing import Dict, List, Sequence, Tuple

from mmengine.config import DictAction

SHORTHANDS = {'alpha': 'loss_feat_fpn', 'beta': 'loss_head_fpn'}
TRAIN = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'train.py')


def split_values(text: str) -> List[str]:
    """Split ``a,b,[c,d]`` on the commas outside brackets/parentheses."""
    out, depth, cur = [], 0, ''
    for ch in text:
        if ch in '[(':
            depth += 1
        elif ch in '])':
            depth -= 1
        if ch == ',' and depth == 0:
            out.append(cur)
            cur = ''
        else:
            cur += ch
    return out + [cur] if cur else out


def parse_grid(items: Sequence[str]) -> List[Tuple[str, List[str]]]:
    grid = []
    for item in items:
        key, sep, values = item.partition('=')
        if not sep or not values:
            raise ValueError(f'--grid {item!r}: expected KEY=V1,V2,...')
        grid.append((key.strip(), [v.strip() for v in split_values(values)]))
    return grid


def expand_key(key: str, cfg) -> List[str]:
    """A grid key's config keys: a shorthand names every matching loss."""
    if key not in SHORTHANDS:
        return [key]
    prefix = SHORTHANDS[key]
    losses = cfg.model.get('distiller', {}).get('distill_losses', {})
    names = sorted(n for n in losses if re.fullmatch(prefix + r'\d+', n))
    if not names:
        raise KeyError(f'{key}=: the config has no {prefix}* distill loss.')
    return [
        f'model.distiller.distill_losses.{n}.loss_weight' for n in names
    ]


def point_name(point: Sequence[Tuple[str, str]]) -> str:
    """``alpha-0.02_beta-0.5``; a dotted key is named by its last two parts."""
    parts = []
    for key, value in point:
        label = key if key in SHORTHANDS else '.'.join(key.split('.')[-2:])
        parts.append(f'{label}-{value}')
    return re.sub(r'[^A-Za-z0-9._-]+', '-', '_'.join(parts))


def final_checkpoint(cfg) -> str:
    loop = cfg.train_cfg
    if 'max_iters' in loop:
        return f'iter_{loop.max_iters}.pth'
    return f'epoch_{loop.max_epochs}.pth'


def point_state(work_dir: str, final: str) -> str:
    """``'done'``, ``'resume'`` (checkpoints, not the final one) or
    ``'new'``."""
    if osp.isfile(osp.join(work_dir, final)):
        return 'done'
    if osp.isdir(work_dir) and any(
            re.fullmatch(r'(epoch|iter)_\d+\.pth', f)
            for f in os.listdir(work_dir)):
        return 'resume'
    return 'new'


def plan(config: str, grid_items: Sequence[str], work_dir: str,
         cfg_options: Dict = None) -> List[dict]:
    """The grid points: name, work dir, cfg-options, state."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    final = final_checkpoint(cfg)
    grid = parse_grid(grid_items)
    points = []
    for values in itertools.product(*[vals for _, vals in grid]):
        point = list(zip([k for k, _ in grid], values))
        name = point_name(point)
        options = dict(cfg_options or {})
        for key, value in point:
            for full in expand_key(key, cfg):
                # as --cfg-options parses it: '0.02' -> 0.02, '[1,2]' -> list
                options[full] = DictAction._parse_iterable(value)
        sub = osp.join(work_dir, name)
        points.append(
            dict(name=name, work_dir=sub, values=dict(point),
                 cfg_options=options, state=point_state(sub, final)))
    return points


def format_options(options: Dict) -> List[str]:
    out = []
    for key, value in options.items():
        if isinstance(value, (list, tuple)):
            # DictAction reads (a,b) back as a tuple and [a,b] as a list
            inner = ','.join(str(v) for v in value)
            value = f'({inner})' if isinstance(value, tuple) else f'[{inner}]'
        out.append(f'{key}={value}')
    return out


def train_command(config: str, point: dict, extra: List[str]) -> List[str]:
    cmd = [sys.executable, TRAIN, config, '--work-dir', point['work_dir']]
    if point['state'] == 'resume':
        cmd.append('--resume')
    if point['cfg_options']:
        cmd += ['--cfg-options'] + format_options(point['cfg_options'])
    return cmd + extra


def run(config: str, points: List[dict], extra: List[str],
        in_process: bool = False, dry_run: bool = False) -> None:
    for point in points:
        if point['state'] == 'done':
            print(f'[sweep] {point["name"]}: finished, skipped', flush=True)
            continue
        print(f'[sweep] {point["name"]}: '
              f'{"resuming" if point["state"] == "resume" else "training"}',
              flush=True)
        if dry_run:
            print(' '.join(train_command(config, point, extra)), flush=True)
        elif in_process:
            from ifkd.engine.launch import train
            train(config, work_dir=point['work_dir'],
                  resume='auto' if point['state'] == 'resume' else None,
                  cfg_options=point['cfg_options'])
        else:
            subprocess.run(train_command(config, point, extra), check=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train a config over a grid of settings')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--grid', action='append', required=True, metavar='KEY=V1,V2',
        help='a config key (or alpha / beta) and its values; repeat for a '
        'cartesian grid')
    parser.add_argument('--work-dir', required=True,
                        help='the sweep dir: one sub dir per point')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='settings shared by all points (key=value)')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the train commands only')
    parser.add_argument(
        '--in-process', action='store_true',
        help='train the points in this process instead of tools/train.py')
    return parser.parse_known_args(argv)


def main(argv=None) -> List[dict]:
    args, extra = parse_args(argv)
    import ifkd  # noqa: F401  (registers components, applies compat fixes)
    points = plan(args.config, args.grid, args.work_dir, args.cfg_options)
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'sweep.json'), 'w') as f:
        json.dump(
            dict(config=args.config, grid=args.grid,
                 points={p['name']: p['values'] for p in points}),
            f, indent=2)
    run(args.config, points, extra, args.in_process, args.dry_run)
    return points


if __name__ == '__main__':
    main()
