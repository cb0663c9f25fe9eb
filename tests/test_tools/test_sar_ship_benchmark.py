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


def test_time_steps_reads_the_given_clock():
    from ifkd.engine.benchmark import MemoryMeter, time_steps
    ticks = iter([0., 1., 1., 3., 3., 6.])  # steps of 1, 2 and 3 s
    calls = []
    sec, _ = time_steps(calls.append, [dict(a=1)], iters=3, warmup=1,
                        device='cpu', meter=MemoryMeter('cpu'),
                        clock=lambda: next(ticks))
    assert sec == 2.0 and len(calls) == 4
    from ifkd.engine.benchmark import run_benchmark
    with pytest.raises(ValueError, match="clock must be 'wall' or 'cpu'"):
        run_benchmark(CFG.format('kd-ifkd'), iters=0, clock='gpu')
