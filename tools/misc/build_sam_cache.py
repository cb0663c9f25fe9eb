"""Fill IFKD's MobileSAM cache ahead of training.

    python tools/misc/build_sam_cache.py CONFIG [--batch-size 4] \
        [--device cuda] [--cfg-options ...]

Runs the config's train pipeline deterministically, once without flip and
once per direction of its ``RandomFlip``, and stores MobileSAM's output for
every image in ``model.distiller.sam_cache.dir`` (see
``ifkd.models.utils.sam_cache.SAMEmbeddingCache``). Images already cached
are skipped. Training fills the cache on first use anyway; this only moves
the cost out of the first epoch (or onto a GPU host).
"""
import argparse
import copy
from typing import List, Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar

import ifkd  # noqa: F401  (registers ifkd's modules, applies compat)
from ifkd.models.algorithms.detection_distill import load_model_cfg
from ifkd.models.distillers.context import DistillContext
from ifkd.models.utils import MobileSAMEncoder
from ifkd.models.utils.sam_cache import (SAMEmbeddingCache,
                                         cached_sam_prob, dataset_pipelines,
                                         inspect_train_pipelines)


def flip_states(dataset_cfg: dict) -> List[Optional[str]]:
    """None (no flip) and every direction a ``RandomFlip`` may apply."""
    states = [None]
    for pipeline in dataset_pipelines(dataset_cfg):
        for t in pipeline:
            if str(t.get('type', '')).split('.')[-1] != 'RandomFlip':
                continue
            if not t.get('prob'):
                continue
            direction = t.get('direction', 'horizontal')
            for d in direction if isinstance(direction, list) else [
                    direction]:
                if d not in states:
                    states.append(d)
    return states


def fix_flip(dataset_cfg: dict, direction: Optional[str]) -> dict:
    """The dataset config with every ``RandomFlip`` made deterministic."""
    cfg = copy.deepcopy(dataset_cfg)

    def visit(node):
        if node.get('pipeline'):
            out = []
            for t in node['pipeline']:
                if str(t.get('type', '')).split('.')[-1] == 'RandomFlip':
                    if direction is None:
                        continue
                    t = dict(type=t['type'], prob=1.0, direction=direction)
                out.append(t)
            node['pipeline'] = out
        for sub in ([node['dataset']] if node.get('dataset') else []) + list(
                node.get('datasets') or []):
            visit(sub)

    visit(cfg)
    return cfg


def _caches(distiller: dict, cache_dir: str, pipeline_tag: str) -> dict:
    import os.path as osp
    sources = sorted({
        c.get('source', 'embedding')
        for c in distiller['connectors'].values()
        if str(c.get('type', '')).split('.')[-1] == 'EDEConnector'
    })
    checkpoint = MobileSAMEncoder.build(distiller['sam_checkpoint']).checkpoint
    caches = {
        s: SAMEmbeddingCache(
            cache_dir if len(sources) == 1 else osp.join(cache_dir, s),
            checkpoint, s, enabled=True)
        for s in sources
    }
    for cache in caches.values():
        cache.pipeline_tag = pipeline_tag
    return caches


def build_sam_cache(cfg: Config, batch_size: int = 4,
                    device: str = 'cpu') -> int:
    """Fill the cache of an IFKD config; returns the images processed."""
    from mmdet.registry import DATASETS, MODELS
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    distiller = cfg.model.distiller
    if not distiller.get('sam_cache'):
        raise ValueError('model.distiller.sam_cache is not set.')
    dataset_cfg = cfg.train_dataloader.dataset
    ok, reason, tag = inspect_train_pipelines(dataset_cfg)
    if not ok:
        raise ValueError(f'Cannot cache this config: {reason}.')
    caches = _caches(distiller, distiller.sam_cache['dir'], tag)
    encoder = MobileSAMEncoder.build(distiller.sam_checkpoint, device)
    student = load_model_cfg(cfg.model.architecture)
    preprocessor = MODELS.build(student.data_preprocessor).to(device)
    datasets = [
        DATASETS.build(fix_flip(dataset_cfg, d))
        for d in flip_states(dataset_cfg)
    ]
    bar = ProgressBar(sum(len(d) for d in datasets))
    done = 0
    for dataset in datasets:
        for start in range(0, len(dataset), batch_size):
            items = [
                dataset[i]
                for i in range(start, min(start + batch_size, len(dataset)))
            ]
            data = preprocessor(pseudo_collate(items), False)
            context = DistillContext.from_preprocessor(
                data['inputs'], data['data_samples'], preprocessor)
            for source, cache in caches.items():
                cached_sam_prob(encoder, source, context, cache)
            done += len(items)
            for _ in items:
                bar.update()
    return done


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='IFKD distillation config')
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    n = build_sam_cache(cfg, args.batch_size, args.device)
    print(f'\n{n} images cached in {cfg.model.distiller.sam_cache["dir"]}')


if __name__ == '__main__':
    main()
