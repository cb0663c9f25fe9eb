"""2 processes x batch 1 through tools/dist_train.sh train the IFKD RetinaNet
student exactly as 1 process x batch 2 (parameters and every logged loss),
and tools/dist_test.sh on 2 CPU processes predicts as one process does."""
import pickle

import numpy as np
import pytest

from tests.test_distributed import _launch
from tests.test_distributed._compare import (LOSS_RTOL, WEIGHT_ATOL,
                                             loss_keys, max_abs_diff,
                                             trained_state)
from tests.test_distributed.conftest import EPOCHS


def test_two_ranks_log_what_one_process_logs(single_run, ddp_run):
    one = _launch.rank_losses(single_run)
    two = _launch.mean_over_ranks(ddp_run)
    assert sorted(one) == sorted(two) == list(range(1, 2 * EPOCHS + 1))
    keys = loss_keys(one[1])
    # student and every IFKD loss term, per FPN level
    assert {'student.loss_cls', 'student.loss_bbox', 'distill.loss_feat_fpn0',
            'distill.loss_head_fpn4', 'loss'} <= set(keys)
    for step in one:
        for k in keys:
            assert two[step][k] == pytest.approx(one[step][k],
                                                 rel=LOSS_RTOL), (step, k)
    # each rank saw its own images: their losses differ
    r0, r1 = (_launch.rank_losses(ddp_run, r) for r in range(2))
    assert abs(r0[1]['distill.loss_feat_fpn0'] -
               r1[1]['distill.loss_feat_fpn0']) > 1e-3
    # the recorded rank-0 values are those mmengine logged (as its running
    # mean over the log window, 50 iterations)
    logged = _launch.logged_scalars(ddp_run)
    assert [row['step'] for row in logged] == sorted(r0)
    for row in logged:
        for k in keys:
            window = [r0[s][k] for s in range(1, row['step'] + 1)]
            assert row[k] == pytest.approx(np.mean(window), rel=1e-6)


def test_two_ranks_train_the_weights_one_process_trains(single_run, ddp_run):
    last = f'epoch_{EPOCHS}.pth'
    one, two = (trained_state(w, last) for w in (single_run, ddp_run))
    assert any(k.startswith('distiller.connectors.t_fdr') for k in one)
    assert any(k.startswith('distiller.connectors.s_adapt') for k in one)
    assert max_abs_diff(one, two) < WEIGHT_ATOL
    # not vacuous: the last epoch moved the weights far more than that
    assert max_abs_diff(one, trained_state(single_run, 'epoch_1.pth')) > \
        100 * WEIGHT_ATOL


def test_dist_test_on_two_cpu_processes(ddp_run, dist_root, tmp_path):
    from ifkd.engine import launch
    from ifkd.engine.export import export_student
    student = str(tmp_path / 'student.pth')
    export_student(f'{ddp_run}/epoch_{EPOCHS}.pth', student)
    options = {
        k: v
        for k, v in _launch.distill_options(dist_root, '', '', 1, 1).items()
        if k.startswith(('test_', 'val_'))
    }
    # one image per forward in both runs, so that their arithmetic (and the
    # order of the untrained model's near-equal scores) is the same
    options.update({'test_dataloader.batch_size': 1,
                    'model.test_cfg.score_thr': 0.0})
    out2 = str(tmp_path / 'two.pkl')
    _launch.launch('dist_test.sh', [
        _launch.STUDENT, student, '2', '--work-dir', str(tmp_path / 'w2'),
        '--out', out2, *_launch.cfg_args(options)
    ], _launch.dist_env())
    out1 = str(tmp_path / 'one.pkl')
    launch.test(_launch.STUDENT, student, work_dir=str(tmp_path / 'w1'),
                out=out1, cfg_options=options)
    with open(out1, 'rb') as f1, open(out2, 'rb') as f2:
        one, two = pickle.load(f1), pickle.load(f2)
    # both test images, gathered from the two ranks, predicted alike
    assert sorted(p['img_id'] for p in two) == sorted(
        p['img_id'] for p in one) and len(one) == 2
    by_id = {p['img_id']: p for p in one}
    for pred in two:
        got, ref = (_rows(p['pred_instances'])
                    for p in (pred, by_id[pred['img_id']]))
        assert len(got) == len(ref) > 0
        # the same scores; the same detections, except where the untrained
        # model's near-equal scores may order differently at the cut-off
        np.testing.assert_allclose(np.sort(got[:, 0]), np.sort(ref[:, 0]),
                                   rtol=0, atol=1e-5)
        for row in got[got[:, 0] > ref[:, 0].min() + 1e-5]:
            assert np.abs(ref - row).max(axis=1).min() < 1e-3


def _rows(instances) -> np.ndarray:
    """(score, label, box) of each detection."""
    return np.concatenate([
        np.asarray(instances['scores'])[:, None],
        np.asarray(instances['labels'])[:, None],
        np.asarray(instances['bboxes'])
    ], axis=1)
