"""Config checks run before the runner is built, so a bad config fails in
seconds with a message that names the fix, not deep inside training."""
import warnings
from typing import Iterator, Optional, Tuple

from mmengine.config import Config


def model_num_classes(model_cfg: dict) -> Optional[int]:
    """``num_classes`` of a detector config dict, if it has one."""
    roi = model_cfg.get('roi_head') or {}
    head = (roi.get('bbox_head') or model_cfg.get('bbox_head')
            or model_cfg.get('head') or {})  # the last: mmpretrain
    if isinstance(head, list):  # cascade heads
        head = head[-1]
    return head.get('num_classes')


def dataset_classes(dataset_cfg: dict) -> Optional[tuple]:
    """The class names a dataset config will use, without loading data."""
    while 'dataset' in dataset_cfg:  # wrappers (RepeatDataset, ...)
        dataset_cfg = dataset_cfg['dataset']
    metainfo = dataset_cfg.get('metainfo') or {}
    if metainfo.get('classes'):
        return tuple(metainfo['classes'])
    if isinstance(dataset_cfg.get('classes'), (list, tuple)):  # mmpretrain
        return tuple(dataset_cfg['classes'])
    from mmdet.registry import DATASETS
    cls = DATASETS.get(dataset_cfg.get('type', ''))
    if cls is None:
        return None
    if hasattr(cls, 'classes_from_cfg'):
        return tuple(cls.classes_from_cfg(dataset_cfg))
    classes = getattr(cls, 'METAINFO', {}).get('classes')
    return tuple(classes) if classes else None


def _detectors(model_cfg: dict) -> Iterator[Tuple[str, dict]]:
    if 'architecture' in model_cfg or 'teacher' in model_cfg:
        from ifkd.models.algorithms.detection_distill import load_model_cfg
        for role in ('architecture', 'teacher'):
            if isinstance(model_cfg.get(role), dict):
                yield ('student' if role == 'architecture' else role,
                       load_model_cfg(model_cfg[role]))
    else:
        yield 'model', model_cfg


def check_num_classes(cfg: Config) -> None:
    """Teacher, student and dataset must agree on the classes."""
    loader = cfg.get('train_dataloader') or cfg.get('test_dataloader')
    if not loader or 'model' not in cfg:
        return
    classes = dataset_classes(loader['dataset'])
    if classes is None:
        return
    for role, det in _detectors(cfg.model):
        n = model_num_classes(det)
        if n is not None and n != len(classes):
            raise ValueError(
                f'num_classes mismatch: the {role} predicts {n} classes but '
                f'the dataset has {len(classes)} {classes}. Set the '
                f"{role}'s num_classes to {len(classes)} (bbox_head / "
                'roi_head.bbox_head) or the dataset metainfo classes.')


def check_from_scratch(cfg: Config) -> None:
    """Warn when a randomly initialised backbone is frozen or has its BN
    statistics fixed: such a student (or teacher) barely trains."""
    if cfg.get('load_from') or cfg.get('resume') or 'model' not in cfg:
        return
    for role, det in _detectors(cfg.model):
        if role == 'teacher':  # loaded from teacher_ckpt
            continue
        backbone = det.get('backbone') or {}
        if backbone.get('init_cfg') is not None:
            continue
        frozen = backbone.get('frozen_stages', -1)
        if frozen >= 0 or backbone.get('norm_eval', False):
            warnings.warn(
                f'The {role} backbone starts from random weights (init_cfg='
                f'None) but has frozen_stages={frozen} / norm_eval='
                f"{backbone.get('norm_eval', False)}: random layers stay "
                'frozen and BN never learns its statistics. Set '
                'frozen_stages=-1 and norm_eval=False for training from '
                'scratch, or give the backbone pretrained init_cfg.')


def check_config(cfg: Config) -> None:
    """All static checks; raise on the first problem found."""
    check_num_classes(cfg)
    check_from_scratch(cfg)
