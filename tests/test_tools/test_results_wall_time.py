"""The wall time a results tool reports: summed over its runs in one work
dir, since a run reuses the stages an earlier one finished."""
import json

import pytest

from ifkd.engine.systems.demo import (WALL_TIME_FILE, accumulate_wall_time,
                                      wall_time_text)


def test_runs_add_up_in_the_work_dir(tmp_path):
    work = tmp_path / 'new' / 'work'  # created on first use
    assert accumulate_wall_time(str(work), 90.0) == (90.0, 1)
    assert accumulate_wall_time(str(work), 3.5) == (93.5, 2)
    assert json.loads((work / WALL_TIME_FILE).read_text()) == dict(
        seconds=93.5, runs=2)
    # another work dir keeps its own record
    assert accumulate_wall_time(str(tmp_path / 'other'), 1.0) == (1.0, 1)


@pytest.mark.parametrize('total, runs, text', [
    (150.0, 1, 'Wall time of the tool: 2.5 min'),
    (93.5, 2, 'Wall time of the tool: 1.6 min, summed over the 2 runs that '
     'filled its work dir (a run reuses the stages an earlier one '
     'finished)'),
])
def test_text(total, runs, text):
    assert wall_time_text(total, runs) == text
