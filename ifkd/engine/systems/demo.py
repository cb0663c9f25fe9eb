"""What every system's demo shares: its command line and results files."""
import argparse
import json
import os.path as osp
import time
from dataclasses import asdict
from typing import Any, Callable, Dict, List, Optional, Sequence


def run_system_demo(argv: Optional[Sequence[str]], name: str,
                    description: str, system_cls: type,
                    add_budget_args: Callable, budget_from_args: Callable,
                    save_results: Callable,
                    describe: Optional[Callable] = None) -> str:
    """``tools/run_demo.py --system NAME [flags]``: parse the system's
    budget flags, run every stage (skipping finished ones), save and print
    the table with its budget and time; returns the table.

    Args:
        argv (Sequence[str], optional): The flags after ``--system NAME``.
        name (str): The system's ``--system`` name.
        description (str): One line for ``--help``.
        system_cls (type): ``system_cls(work_dir, data_root, budget, seeds,
            log=...)`` with ``run()``, ``budget`` and ``timings``.
        add_budget_args (callable): Adds the system's data / schedule flags.
        budget_from_args (callable): Builds its budget from those flags.
        save_results (callable): ``save_results(work_dir, results, budget,
            timings)`` writes the results and returns the markdown table.
        describe (callable, optional): ``describe(system, seeds)``, the
            budget line; defaults to ``system.budget.describe(seeds)``.
    """
    parser = argparse.ArgumentParser(prog=f'run_demo.py --system {name}',
                                     description=description)
    parser.add_argument('--work-dir', default=f'work_dirs/demo-{name}')
    add_budget_args(parser)
    args = parser.parse_args(argv)
    system = system_cls(args.work_dir, args.data_root,
                        budget_from_args(args), args.seeds,
                        log=lambda msg: print(msg, flush=True))
    try:
        results = system.run()
    except RuntimeError as e:
        raise SystemExit(str(e))
    text = save_results(args.work_dir, results, system.budget,
                        system.timings)
    print(text)
    budget = (describe(system, args.seeds) if describe else
              system.budget.describe(args.seeds))
    print('budget: ' + budget)
    print(f"time: {system.timings['total']:.0f} s; results in "
          f"{osp.join(args.work_dir, 'results.md')}")
    return text


def write_results(work_dir: str, results: Dict[str, List[Dict[str, float]]],
                  budget: Any, timings: Dict[str, float], table: str) -> str:
    """Write a system's ``results.json`` (every run's metrics, the budget
    dataclass, the timings) and ``results.md`` (``table``); returns it."""
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(dict(results=results, budget=asdict(budget),
                       timings=timings), f, indent=1)
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write(table + '\n')
    return table



def results_parser(description: str, name: str, add_budget_args: Callable,
                   docs: Sequence[str] = ('README.md', )
                   ) -> argparse.ArgumentParser:
    """The flags of a system's multi-seed results tool: its budget (seeds
    0, 1, 2 by default), ``--work-dir`` and the ``--docs`` to write into."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--work-dir', default=f'work_dirs/{name}_results')
    add_budget_args(parser, seeds=(0, 1, 2))
    parser.add_argument(
        '--docs', nargs='*', default=list(docs),
        help='files whose results block is replaced (none: print only)')
    return parser


def run_results_tool(args: argparse.Namespace, system_cls: type,
                     budget_from_args: Callable, save_results: Callable,
                     make_block: Callable, begin: str, end: str) -> str:
    """Run every stage of a system for ``args.seeds`` (finished ones are
    skipped), then write ``make_block(system, results, table, start)`` (the
    generated text, ``begin`` ... ``end`` markers included; ``start`` is the
    tool's start time, for its wall time) between those markers of each of
    ``args.docs``; returns the block."""
    from ifkd.engine.readme_block import replace_block
    start = time.time()
    system = system_cls(args.work_dir, args.data_root,
                        budget_from_args(args), args.seeds,
                        log=lambda msg: print(msg, flush=True))
    results = system.run()
    table = save_results(args.work_dir, results, system.budget,
                         system.timings)
    block = make_block(system, results, table, start)
    for path in args.docs:
        replace_block(path, block, begin, end)
    print(block)
    return block
