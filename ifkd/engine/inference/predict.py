"""Run a trained classifier over a test set with test-time views, then
turn its outputs into labels (TTA, cluster voting) and OOD scores."""
import csv
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import Runner, load_checkpoint

from .cluster_voting import cluster_by_features, cluster_by_id_gap, vote
from .ood_scores import ood_scores
from .tta import LogitFeatureTTA, tta_pipeline

VOTE_MODES = ('none', 'feature', 'id-gap')


@dataclass
class Predictions:
    """Raw outputs of every test chip.

    Attributes:
        ids (np.ndarray): (N,) chip ids.
        view_logits (np.ndarray): (N, V, C) logits of each view; view 0 is
            the plain chip.
        features (np.ndarray): (N, D) view-averaged features.
        gt (np.ndarray, optional): (N,) labels (-1: OOD), if the test set
            has them.
        classes (tuple): Class names.
    """
    ids: np.ndarray
    view_logits: np.ndarray
    features: np.ndarray
    gt: Optional[np.ndarray]
    classes: tuple


def _id_of(sample) -> int:
    """The chip id: ``img_id`` or the last number of the file name."""
    if 'img_id' in sample.metainfo:
        return int(sample.img_id)
    found = re.findall(r'\d+', osp.basename(sample.img_path))
    if not found:
        raise ValueError(f'no numeric id in the file name {sample.img_path}')
    return int(found[-1])


def build_classifier(cfg: Config, checkpoint: str) -> torch.nn.Module:
    """The config's classifier with ``checkpoint`` loaded; fails early on a
    missing file, a distillation config or checkpoint (export the student
    first) and a class-count mismatch."""
    if 'architecture' in cfg.model:
        raise ValueError(
            f'{cfg.filename} is a distillation config; run inference with '
            "the student's own config and the exported student checkpoint "
            '(tools/model_converters/export_student.py).')
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(
            f'checkpoint {checkpoint} not found; pass the trained student '
            'checkpoint (for a distilled student, its exported file).')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = MODELS.build(cfg.model)
    state = torch.load(checkpoint, map_location='cpu')
    keys = list(state.get('state_dict', state))
    if keys and all(k.startswith(('architecture.', 'teacher.',
                                  'distiller.')) for k in keys):
        raise ValueError(
            f'{checkpoint} is a distillation checkpoint; export its student '
            'with tools/model_converters/export_student.py first.')
    try:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    except RuntimeError as err:
        raise ValueError(
            f'{checkpoint} does not fit {cfg.filename} ({err}); check that '
            "the config is the checkpoint's and num_classes matches.") from err
    return model.eval()


def predict(config: str,
            checkpoint: str,
            flip: bool = True,
            rot90: bool = True,
            scales: Sequence[float] = (1.0, ),
            dataset: Optional[dict] = None,
            batch_size: int = 64) -> Predictions:
    """Outputs of every view of every chip of the config's test set.

    Args:
        config (str): A classifier config (the student's own).
        checkpoint (str): Its checkpoint.
        flip, rot90, scales: The test-time views (see ``tta_pipeline``).
        dataset (dict, optional): Overrides of ``test_dataloader.dataset``
            (e.g. ``data_root``, ``labels_file``).
        batch_size (int): Chips per batch.
    """
    cfg = Config.fromfile(config)
    model = build_classifier(cfg, checkpoint)
    ds_cfg = cfg.test_dataloader.dataset
    ds_cfg.update(dataset or {})
    ds_cfg.pipeline = tta_pipeline(ds_cfg.pipeline, flip, rot90, scales)
    loader = Runner.build_dataloader(
        dict(batch_size=batch_size, num_workers=0, dataset=ds_cfg,
             sampler=dict(type='DefaultSampler', shuffle=False)))
    classes = tuple(loader.dataset.metainfo['classes'])
    if model.head.num_classes != len(classes):
        raise ValueError(
            f'the head predicts {model.head.num_classes} classes but the '
            f'test set has {len(classes)} ({list(classes)}); set the '
            "head's num_classes to the dataset's classes.")
    tta = LogitFeatureTTA(module=model)
    ids, logits, feats, gts = [], [], [], []
    for batch in loader:
        for sample in tta.test_step(batch):
            ids.append(_id_of(sample))
            logits.append(sample.view_logits)
            feats.append(sample.feature)
            if 'gt_label' in sample:
                gts.append(int(sample.gt_label[0]))
    gt = np.array(gts) if len(gts) == len(ids) else None
    return Predictions(np.array(ids), torch.stack(logits).numpy(),
                       torch.stack(feats).numpy(), gt, classes)


@dataclass
class Decision:
    """Labels and scores of one post-processing setting."""
    labels: np.ndarray
    probs: np.ndarray
    scores: Dict[str, np.ndarray]
    groups: Optional[np.ndarray] = None


def decide(preds: Predictions,
           views: Optional[int] = None,
           vote_mode: str = 'none',
           cluster_method: str = 'average',
           cluster_threshold: float = 0.1,
           id_gap: int = 100,
           min_confidence: float = 0.95,
           temperature: float = 1.0) -> Decision:
    """Labels and OOD scores from raw predictions.

    Args:
        preds (Predictions): Outputs of :func:`predict`.
        views (int, optional): Average the softmax (and the energy) over
            the first ``views`` views: None all of them, 1 the plain chip
            alone (no TTA). The views vary the scale slowest, then the
            flip, then the rotation, so with ``tta_pipeline``'s defaults the
            first 8 are the flips and rotations at scale 1.
        vote_mode (str): ``'none'``, ``'feature'`` (agglomerative clustering
            of the features) or ``'id-gap'`` (the seed: ids more than
            ``id_gap`` apart start a new group).
        cluster_method (str): Linkage of the feature clustering.
        cluster_threshold (float): Cosine distance of the clustering.
        id_gap (int): Gap of the id-gap mode.
        min_confidence (float): Only predictions above it vote.
        temperature (float): Energy temperature.
    """
    if vote_mode not in VOTE_MODES:
        raise ValueError(f'vote mode {vote_mode!r}: use one of {VOTE_MODES}.')
    logits = torch.from_numpy(preds.view_logits)
    if views is not None:
        if not 1 <= views <= logits.shape[1]:
            raise ValueError(f'views={views}: the predictions hold '
                             f'{logits.shape[1]} views per chip.')
        logits = logits[:, :views]
    probs = logits.float().softmax(-1).mean(1).numpy()
    labels = probs.argmax(1)
    scores = {k: v.numpy() for k, v in ood_scores(logits, temperature).items()}
    groups = None
    if vote_mode == 'feature':
        groups = cluster_by_features(preds.features, cluster_method,
                                     cluster_threshold)
    elif vote_mode == 'id-gap':
        groups = cluster_by_id_gap(preds.ids, id_gap)
    if groups is not None:
        labels = vote(labels, probs.max(1), groups, min_confidence,
                      len(preds.classes))
    return Decision(labels, probs, scores, groups)


def write_submission(path: str, ids: Sequence[int], labels: Sequence[int],
                     scores: Sequence[float]) -> None:
    """The challenge's csv: ``id,class,score`` per chip (class index; score
    higher = more likely in distribution)."""
    parent = osp.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['id', 'class', 'score'])
        for i, label, score in zip(ids, labels, scores):
            writer.writerow([int(i), int(label), f'{float(score):.6f}'])
