"""Time and memory of an IFKD distillation step against its parts.

    python tools/analysis_tools/benchmark_distill.py \
        configs/ifkd/ifkd_retinanet_r50-mbv2_fpn_1x_synthetic-sar-aircraft.py \
        --iters 5 --warmup 1 --device cpu --batch-size 2 --img-size 256 \
        --cfg-options model.distiller.sam_checkpoint=checkpoints/mobile_sam.pt

Rows: the student's train step, the teacher's forward (no grad), IFKD with
and without the MobileSAM cache, IFKD with one module only (EDE, FDR, HSM)
and the baselines (``--baselines``; by default the configs under
configs/baselines/ for the same detectors and data). Random teacher
weights and synthetic images are used: only the cost is measured. See
``ifkd.engine.benchmark`` for how memory is measured.
"""
import argparse
import json

from mmengine.config import DictAction

import ifkd  # noqa: F401  (registers ifkd's modules, applies compat)
from ifkd.engine.benchmark import (format_markdown, format_table,
                                   rows_from_table, run_benchmark,
                                   table_rows)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'config', nargs='?', help='IFKD distillation config (not needed with '
        '--from-json)')
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--img-size', type=int, default=256)
    parser.add_argument(
        '--baselines', nargs='*', default=None,
        help='baseline configs (missing ones are skipped); default: '
        'configs/baselines/<method>_<same suffix as CONFIG>')
    parser.add_argument(
        '--reference', default='FRS',
        help='baseline row for the extra ratio columns')
    parser.add_argument('--amp', action='store_true',
                        help='AmpOptimWrapper (CUDA)')
    parser.add_argument(
        '--clock', default='wall', choices=['wall', 'cpu'],
        help='wall seconds, or CPU seconds of this process (steadier on a '
        'shared CPU)')
    parser.add_argument('--json', help='also write the rows to this file')
    parser.add_argument(
        '--markdown', action='store_true',
        help='print the table in Markdown (e.g. for a README)')
    parser.add_argument(
        '--from-json', metavar='FILE',
        help="print the table of a run saved with --json instead of timing "
        "(e.g. with --markdown)")
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of every benchmarked config')
    args = parser.parse_args()
    if args.config is None and args.from_json is None:
        parser.error('give a CONFIG to time, or --from-json FILE')
    return args


def main():
    args = parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            rows = rows_from_table(json.load(f))
    else:
        rows = run_benchmark(
            args.config, iters=args.iters, warmup=args.warmup,
            device=args.device, batch_size=args.batch_size,
            img_size=args.img_size, cfg_options=args.cfg_options,
            baselines=args.baselines, amp=args.amp, clock=args.clock)
    fmt = format_markdown if args.markdown else format_table
    print(fmt(rows, args.reference))
    if args.json and not args.from_json:
        with open(args.json, 'w') as f:
            json.dump(table_rows(rows, args.reference), f, indent=2)


if __name__ == '__main__':
    main()
