"""The DisOptNet system's evidence: the optical teacher once, then the
SAR-only baseline, DisOptNet and DisOptNet + IFKD for several seeds on the
synthetic SpaceNet 6 tiles; writes the generated mean ± std table into the
README.

    python tools/analysis_tools/disoptnet_results.py --seeds 0 1 2

Every student row uses the same data, optimiser, schedule, batch and
iterations (``ifkd.engine.systems.disoptnet.SegBudget``); the text between
the ``<!-- disoptnet-results -->`` markers is replaced.
"""
import os
import os.path as osp
import statistics
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

BEGIN = '<!-- disoptnet-results:begin -->'
END = '<!-- disoptnet-results:end -->'


def parse_args(argv=None):
    from ifkd.engine.systems.demo import results_parser
    from ifkd.engine.systems.disoptnet import add_budget_args
    p = results_parser(__doc__.splitlines()[0], 'disoptnet', add_budget_args)
    return p.parse_args(argv)


def verdict(results: dict) -> str:
    """Generated sentences: does the teacher beat the SAR-only baseline,
    and does each distilled row beat it by more than its seed spread?"""
    from ifkd.engine.systems.disoptnet import METRICS, ROW_LABELS
    key = METRICS['Dice']

    def mean(row):
        return statistics.mean(r[key] for r in results[row])

    base = mean('SAR-only')
    runs = [r[key] for r in results['SAR-only']]
    spread = statistics.stdev(runs) if len(runs) > 1 else 0.
    lines = [f'Per-image Dice: the optical teacher {mean("Teacher"):.1f} %, '
             f'the SAR-only baseline {base:.1f} %.']
    for row in results:
        if row in ('Teacher', 'SAR-only'):
            continue
        gain = mean(row) - base
        word = ('beats' if gain > spread else
                'is within one baseline std of' if gain > -spread else
                'is below')
        lines.append(f'{ROW_LABELS[row]} {word} the SAR-only baseline '
                     f'({gain:+.1f} Dice).')
    # What distillation adds: the same architecture with and without the
    # teacher.
    alone = 'DisOptNet, no teacher'
    if alone in results:
        runs = [r[key] for r in results[alone]]
        spread = statistics.stdev(runs) if len(runs) > 1 else 0.
        for row in ('DisOptNet', 'DisOptNet + IFKD'):
            if row not in results:
                continue
            gain = mean(row) - mean(alone)
            word = ('beats' if gain > spread else
                    'is within one std of' if gain > -spread else 'is below')
            lines.append(f'Against the same architecture trained without '
                         f'the teacher, {ROW_LABELS[row]} {word} it '
                         f'({gain:+.1f} Dice).')
    return ' '.join(lines)


def main(argv=None) -> str:
    args = parse_args(argv)
    os.chdir(ROOT)
    from ifkd.engine.systems.demo import run_results_tool
    from ifkd.engine.systems.disoptnet import (
        DisOptNetSystem, budget_from_args, save_results)

    def make_block(system, results, table, timing):
        return '\n'.join([
            BEGIN, '', table, '',
            'Mean ± sample std over the seeds of each row (the teacher '
            'trains once); in parentheses the gain over the SAR-only '
            'baseline. Test: the validation tiles (easternmost easting '
            'group), students on SAR only. Budget: ' +
            system.budget.describe(args.seeds) +
            f'. {timing.text()}; '
            f'({os.cpu_count()} CPU cores, shared with other jobs). Generated '
            'by `tools/analysis_tools/disoptnet_results.py`.', '',
            verdict(results), '', END
        ])

    return run_results_tool(
        args, DisOptNetSystem, budget_from_args, save_results,
        make_block, BEGIN, END)


if __name__ == '__main__':
    main()
