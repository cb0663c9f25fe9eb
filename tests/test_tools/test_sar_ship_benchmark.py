"""benchmark_distill.py takes the classification distillation configs."""
import pytest

CFG = 'configs/sar_ship_cls/{}_resnet50-shipcnn_1xb32_synthetic-sar-ship.py'


def test_benchmark_times_a_classification_distillation():
    from ifkd.engine.benchmark import run_benchmark, table_rows
    rows = run_benchmark(
        CFG.format('kd-ifkd'), iters=1, warmup=1, batch_size=4,
        img_size=32, baselines=[CFG.format('kd')], log=lambda _: None,
        clock='cpu')
    names = [r.name for r in rows]
    # classifiers have no EDE: its rows are left out, FDR / HSM ablated
    assert names == ['student', 'teacher fwd', 'IFKD', 'FDR only',
                     'HSM only', 'KD']
    assert all(r.sec_per_iter > 0 and r.img_per_sec > 0 for r in rows)
    by_name = {r.name: r for r in rows}
    for r in rows:
        assert r.img_per_sec == pytest.approx(4 / r.sec_per_iter)
    table = {r['name']: r for r in table_rows(rows, reference='KD')}
    floor = by_name['student'].sec_per_iter + \
        by_name['teacher fwd'].sec_per_iter
    assert table['IFKD']['time_ratio'] == pytest.approx(
        by_name['IFKD'].sec_per_iter / floor)
    assert table['IFKD']['time_vs_ref'] == pytest.approx(
        by_name['IFKD'].sec_per_iter / by_name['KD'].sec_per_iter)


def test_classification_batches_are_labelled_uint8_chips():
    from ifkd.engine.benchmark import classification_batches
    batches = classification_batches(2, 3, 32, num_classes=3)
    assert len(batches) == 2
    for b in batches:
        assert [tuple(x.shape) for x in b['inputs']] == [(3, 32, 32)] * 3
        assert all(x.dtype.is_floating_point is False for x in b['inputs'])
        labels = [int(s.gt_label) for s in b['data_samples']]
        assert all(0 <= y < 3 for y in labels)
    # seeded: the same call gives the same chips
    again = classification_batches(2, 3, 32, num_classes=3)
    assert all((a == b).all()
               for a, b in zip(batches[0]['inputs'], again[0]['inputs']))


def test_steps_are_timed_round_robin_with_the_given_clock():
    from ifkd.engine.benchmark import time_interleaved
    calls = []
    now = [0.]
    cost = dict(a=[1., 2., 3.], b=[5., 4., 9.])  # seconds per round

    def clock():
        return now[0]

    def make(name):
        def step(batch):
            calls.append((name, batch['i']))
            now[0] += cost[name][len([c for c in calls if c[0] == name]) - 1]
        return step

    batches = [dict(i=i) for i in range(2)]
    sec = time_interleaved(dict(a=make('a'), b=make('b')), batches, iters=3,
                           start=1, device='cpu', clock=clock)
    # every round runs each step once, on the same batch (cycled from 1)
    assert calls == [('a', 1), ('b', 1), ('a', 0), ('b', 0), ('a', 1),
                     ('b', 1)]
    assert sec == dict(a=2.0, b=5.0)  # medians of the clock's differences


def test_warm_up_runs_untimed_steps_and_measures_the_last():
    from ifkd.engine.benchmark import MemoryMeter, warm_up

    class Meter(MemoryMeter):
        resets = []

        def reset_peak(self):
            self.resets.append(len(calls))

        def peak(self):
            return 7.0

    calls = []
    mem = warm_up(calls.append, [dict(i=0), dict(i=1)], warmup=3,
                  device='cpu', meter=Meter('cpu'))
    assert calls == [dict(i=0), dict(i=1), dict(i=0)] and mem == 7.0
    assert Meter.resets == [2]  # the peak covers the last step only
    calls.clear()
    warm_up(calls.append, [dict(i=0)], warmup=0, device='cpu',
            meter=Meter('cpu'))
    assert calls == [dict(i=0)]  # memory needs one step even without warm-up


def test_unknown_clock_is_refused():
    from ifkd.engine.benchmark import run_benchmark
    with pytest.raises(ValueError, match="clock must be 'wall' or 'cpu'"):
        run_benchmark(CFG.format('kd-ifkd'), iters=0, clock='gpu')


def _hand_rows():
    from ifkd.engine.benchmark import BenchRow
    return [BenchRow('student', 2.0, 8.0, 100.),
            BenchRow('teacher fwd', 1.0, 16.0, 50.),
            BenchRow('KD', 3.3, 16 / 3.3, 120., 'kd.py')]


def test_markdown_table_by_hand():
    from ifkd.engine.benchmark import format_markdown
    lines = format_markdown(_hand_rows(), 'KD').splitlines()
    assert lines[0] == ('| row | s/iter | img/s | peak MiB | t/(S+T) | '
                        'mem/(S+T) | t/KD | mem/KD |')
    assert lines[1] == '| ' + ' | '.join(['---'] * 8) + ' |'
    # the floor is 2.0 + 1.0 s and 100 + 50 MiB; KD: 3.3 / 3 and 120 / 150
    assert lines[2] == ('| student + teacher fwd | 3.000 | 5.33 | 150 | '
                        '1.00 | 1.00 | 0.91 | 1.25 |')
    assert lines[5] == ('| KD | 3.300 | 4.85 | 120 | 1.10 | 0.80 | 1.00 | '
                        '1.00 |')
    assert len(lines) == 6


def test_a_saved_run_prints_again(tmp_path, monkeypatch, capsys):
    import json
    import runpy

    from ifkd.engine.benchmark import (format_markdown, rows_from_table,
                                       table_rows)
    rows = _hand_rows()
    table = table_rows(rows, 'KD')
    assert rows_from_table(table) == rows  # the sum row and ratios dropped
    saved = tmp_path / 'run.json'
    saved.write_text(json.dumps(table))
    monkeypatch.setattr('sys.argv', [
        'benchmark_distill.py', '--from-json', str(saved), '--markdown',
        '--reference', 'KD'])
    runpy.run_path('tools/analysis_tools/benchmark_distill.py',
                   run_name='__main__')
    assert capsys.readouterr().out.strip() == format_markdown(rows, 'KD')
