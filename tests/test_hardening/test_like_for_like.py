"""Every row of a comparison trains alike: the detectors (teachers and
undistilled students) and every distillation config of one detector and
dataset resolve to the same optimizer, LR schedule and gradient clipping."""
import functools
import glob
import os.path as osp
import re
from collections import defaultdict

from mmengine.config import Config

from tests.conftest import config_path

CLIP = dict(max_norm=35, norm_type=2)
FOLDERS = ('retinanet', 'faster_rcnn', 'ifkd', 'baselines', 'ablations')
NAME = re.compile(r'(?P<det>retinanet|faster-rcnn)_[a-z0-9-]+_fpn_1x_'
                  r'(?P<data>sar-aircraft|shiprs|synthetic-sar-aircraft)$')


@functools.lru_cache(maxsize=None)
def _training_settings(path: str) -> dict:
    cfg = Config.fromfile(path)
    optim = cfg.optim_wrapper
    return dict(
        optimizer=optim.optimizer.to_dict(),
        clip_grad=optim.get('clip_grad'),
        wrapper=optim.get('type', 'OptimWrapper'),
        param_scheduler=[s.to_dict() for s in cfg.param_scheduler],
        train_cfg=cfg.train_cfg.to_dict())


def _groups() -> dict:
    """Config paths by (detector, dataset)."""
    groups = defaultdict(list)
    for folder in FOLDERS:
        for path in sorted(glob.glob(config_path(f'{folder}/*.py'))):
            match = NAME.search(osp.splitext(osp.basename(path))[0])
            assert match, f'unexpected config name {path}'
            groups[match['det'], match['data']].append(path)
    return groups


def test_every_row_trains_with_the_same_optimiser_schedule_and_clipping():
    groups = _groups()
    assert len(groups) == 6
    counted = 0
    for (det, data), paths in groups.items():
        kinds = {p.split('/configs/')[1].split('/')[0] for p in paths}
        # each comparison has its detectors and its distillation rows
        assert {'ifkd', 'baselines'} <= kinds, (det, data, kinds)
        assert kinds & {'retinanet', 'faster_rcnn'}, (det, data, kinds)
        reference = _training_settings(paths[0])
        assert reference['clip_grad'] == CLIP, paths[0]
        for path in paths[1:]:
            assert _training_settings(path) == reference, (paths[0], path)
        counted += len(paths)
    # 18 detectors, 12 IFKD, 42 baselines, 16 ablations
    assert counted == 88


def test_synthetic_rows_share_one_setting():
    """Synthetic rows: SGD lr 0.01, short warm-up, steps at 8 and 11."""
    settings = {
        path: _training_settings(path)
        for path in glob.glob(config_path('*/*synthetic-sar-aircraft.py'))
        if path.split('/configs/')[1].split('/')[0] in FOLDERS
    }
    # 6 detectors, 4 IFKD, 14 baselines, 8 ablations
    assert len(settings) == 32
    first = next(iter(settings.values()))
    assert all(s == first for s in settings.values())
    assert first['optimizer'] == dict(type='SGD', lr=0.01, momentum=0.9,
                                      weight_decay=0.0001)
    assert first['clip_grad'] == CLIP
    assert first['param_scheduler'][1]['milestones'] == [8, 11]
    assert first['param_scheduler'][1]['end'] == first['train_cfg'][
        'max_epochs'] == 12
