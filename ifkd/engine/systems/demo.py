"""What every system's demo shares: its command line and results files."""
import argparse
import json
import os
import os.path as osp
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import (Any, Callable, Dict, Iterator, List, Optional,
                    Sequence)


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
    parser.add_argument(
        '--threads', type=int,
        help="torch CPU threads (default: torch's); the count changes the "
        'order of float reductions, so a table reproduces to the digit only '
        'with the count it was made with')
    return parser


WALL_TIME_FILE = 'tool_wall_time.json'


@dataclass
class ToolTime:
    """What the runs of a results tool in one work dir cost.

    A results tool reuses the stages an earlier run finished, so its own
    elapsed time says little about what the table cost (a re-run that only
    collects takes seconds); the sum over the runs that filled the work dir
    does. The torch thread count of each run is kept as well: on CPU it
    changes the order of float reductions, and so the trained models.

    Args:
        seconds (float): Wall time summed over the runs.
        threads (list): Torch CPU threads of each run, oldest first; None
            for a run recorded before the count was.
    """
    seconds: float
    threads: List[Optional[int]]

    @property
    def runs(self) -> int:
        return len(self.threads)

    def threads_text(self) -> str:
        known = sorted({t for t in self.threads if t is not None})
        if not known:
            return 'torch threads not recorded'
        counts = ' and '.join(str(t) for t in known)
        text = f'torch threads: {counts}'
        if len(known) > 1:
            text += ' (they differ between runs)'
        if None in self.threads:
            text += ' (earlier runs not recorded)'
        return text

    def text(self) -> str:
        """The wall-time clause of a results block."""
        text = f'Wall time of the tool: {self.seconds / 60:.1f} min'
        if self.runs > 1:
            text += (f', summed over the {self.runs} runs that filled its '
                     'work dir (a run reuses the stages an earlier one '
                     'finished)')
        return f'{text}; {self.threads_text()}'


def accumulate_wall_time(work_dir: str, seconds: float,
                         threads: Optional[int]) -> ToolTime:
    """Add one run (its wall time and torch thread count) to ``work_dir``'s
    record and return the record."""
    path = osp.join(work_dir, WALL_TIME_FILE)
    total, counts = 0., []
    if osp.isfile(path):
        with open(path) as f:
            record = json.load(f)
        total = float(record['seconds'])
        counts = record.get('threads', [None] * int(record['runs']))
    record = ToolTime(total + seconds, counts + [threads])
    os.makedirs(work_dir, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(dict(seconds=record.seconds, runs=record.runs,
                       threads=record.threads), f)
    return record


@contextmanager
def torch_threads(threads: Optional[int]) -> Iterator[None]:
    """Run the block on ``threads`` torch CPU threads (None: as set), and
    restore the count afterwards."""
    import torch
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_results_tool(args: argparse.Namespace, system_cls: type,
                     budget_from_args: Callable, save_results: Callable,
                     make_block: Callable, begin: str, end: str) -> str:
    """Run every stage of a system for ``args.seeds`` (finished ones are
    skipped) on ``args.threads`` torch threads, then write
    ``make_block(system, results, table, timing)`` (the generated text,
    ``begin`` ... ``end`` markers included; ``timing`` the
    :class:`ToolTime` of the runs of the tool in ``args.work_dir``, this
    one included) between those markers of each of ``args.docs``; returns
    the block."""
    import torch

    from ifkd.engine.readme_block import replace_block
    start = time.time()
    with torch_threads(args.threads):
        system = system_cls(args.work_dir, args.data_root,
                            budget_from_args(args), args.seeds,
                            log=lambda msg: print(msg, flush=True))
        try:
            results = system.run()
        finally:  # the stages a failed run finished are reused: count them
            timing = accumulate_wall_time(
                args.work_dir, time.time() - start, torch.get_num_threads())
    table = save_results(args.work_dir, results, system.budget,
                         system.timings)
    block = make_block(system, results, table, timing)
    for path in args.docs:
        replace_block(path, block, begin, end)
    print(block)
    return block
