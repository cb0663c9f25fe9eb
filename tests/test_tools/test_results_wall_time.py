"""The wall time a results tool reports: summed over its runs in one work
dir, since a run reuses the stages an earlier one finished; and the torch
thread count of each run, which changes the trained models on CPU."""
import argparse
import json

import pytest
import torch

from ifkd.engine.systems.demo import (WALL_TIME_FILE, ToolTime,
                                      accumulate_wall_time, run_results_tool)


def test_runs_add_up_in_the_work_dir(tmp_path):
    work = tmp_path / 'new' / 'work'  # created on first use
    assert accumulate_wall_time(str(work), 90.0, 2) == ToolTime(90.0, [2])
    assert accumulate_wall_time(str(work), 3.5, 1) == ToolTime(93.5, [2, 1])
    assert json.loads((work / WALL_TIME_FILE).read_text()) == dict(
        seconds=93.5, runs=2, threads=[2, 1])
    # another work dir keeps its own record
    assert accumulate_wall_time(str(tmp_path / 'other'), 1.0, 1).runs == 1


def test_a_record_without_thread_counts_is_read_as_unknown(tmp_path):
    (tmp_path / WALL_TIME_FILE).write_text(
        json.dumps(dict(seconds=60.0, runs=2)))
    assert accumulate_wall_time(str(tmp_path), 30.0, 1) == ToolTime(
        90.0, [None, None, 1])


@pytest.mark.parametrize('timing, text', [
    (ToolTime(150.0, [1]), 'Wall time of the tool: 2.5 min; torch threads: '
     '1'),
    (ToolTime(93.5, [2, 2]), 'Wall time of the tool: 1.6 min, summed over '
     'the 2 runs that filled its work dir (a run reuses the stages an '
     'earlier one finished); torch threads: 2'),
    (ToolTime(60.0, [2, 1]), 'Wall time of the tool: 1.0 min, summed over '
     'the 2 runs that filled its work dir (a run reuses the stages an '
     'earlier one finished); torch threads: 1 and 2 (they differ between '
     'runs)'),
    (ToolTime(60.0, [None, 1]), 'Wall time of the tool: 1.0 min, summed '
     'over the 2 runs that filled its work dir (a run reuses the stages an '
     'earlier one finished); torch threads: 1 (earlier runs not recorded)'),
    (ToolTime(60.0, [None]), 'Wall time of the tool: 1.0 min; torch '
     'threads not recorded'),
])
def test_text(timing, text):
    assert timing.text() == text


class _System:
    """Records the torch thread count its stages run with."""
    seen = []

    def __init__(self, work_dir, data_root, budget, seeds, log):
        self.budget, self.timings = budget, {}

    def run(self):
        _System.seen.append(torch.get_num_threads())
        return {'row': [1.0]}


def _args(tmp_path, threads):
    return argparse.Namespace(work_dir=str(tmp_path), data_root='unused',
                              seeds=[0], docs=[], threads=threads)


def test_the_tool_runs_on_the_threads_asked_and_restores_them(tmp_path):
    default = torch.get_num_threads()
    blocks = [
        run_results_tool(
            _args(tmp_path, threads), _System, lambda args: 'budget',
            lambda *a: 'table',
            lambda system, results, table, timing: timing.text(), 'b', 'e')
        for threads in (1, None)
    ]
    assert _System.seen == [1, default]
    assert torch.get_num_threads() == default
    assert blocks[0].endswith('; torch threads: 1')
    assert blocks[1].endswith(
        '; torch threads: 1' if default == 1 else
        f'; torch threads: 1 and {default} (they differ between runs)')
