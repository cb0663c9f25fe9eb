# Grad-CAM overlays of N test images per class for a classifier config and
# checkpoint, e.g.
#   python tools/analysis_tools/grad_cam.py CONFIG CKPT --out DIR \
#       --per-class 15 [--target-layer backbone.layer4]
import argparse
import csv
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional

from mmengine.config import DictAction


def parse_args():
    parser = argparse.ArgumentParser(
        description='Write Grad-CAM overlays of test images, per class')
    parser.add_argument('config', help='classifier config file')
    parser.add_argument('checkpoint', help='its checkpoint (a plain '
                        'mmpretrain one; export a distilled student first)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--per-class', type=int, default=15,
                        help='images per class (the first ones of the split)')
    parser.add_argument('--target-layer', help='module to explain, e.g. '
                        'backbone.layer4 (default: per architecture)')
    parser.add_argument('--explain', choices=['pred', 'gt'], default='pred',
                        help='explain the predicted or the true class')
    parser.add_argument('--split', choices=['test', 'val'], default='test',
                        help='dataloader whose dataset is used')
    parser.add_argument('--alpha', type=float, default=0.5,
                        help='opacity of the map')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args()


def build_classifier(cfg, checkpoint: str, device: str):
    """The config's model with the checkpoint's weights (strict), in eval
    mode."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist.')
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    try:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    except RuntimeError as e:
        raise RuntimeError(
            f'{checkpoint} does not hold the weights of this config\'s '
            'model (a distillation checkpoint must be exported to the '
            f'student first): {e}') from e
    return model.to(device).eval()


def pick_per_class(labels, num_classes: int, per_class: int) -> List[int]:
    """Indices of the first ``per_class`` samples of each class."""
    chosen: Dict[int, List[int]] = defaultdict(list)
    for idx, label in enumerate(labels):
        if len(chosen[int(label)]) < per_class:
            chosen[int(label)].append(idx)
    return [i for c in range(num_classes) for i in chosen[c]]


def write_grad_cams(config: str,
                    checkpoint: str,
                    out_dir: str,
                    per_class: int = 15,
                    target_layer: Optional[str] = None,
                    explain: str = 'pred',
                    split: str = 'test',
                    alpha: float = 0.5,
                    device: str = 'cpu',
                    cfg_options: Optional[dict] = None) -> List[dict]:
    """Write ``<out_dir>/<class>/<n>_<image>.png`` overlays and
    ``<out_dir>/grad_cam.csv`` (one row per image); returns the rows."""
    import cv2
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS

    import ifkd  # noqa: F401
    from ifkd.engine.grad_cam import GradCAM, overlay_cam
    from ifkd.engine.launch import load_config

    if per_class < 1:
        raise ValueError(f'--per-class must be >= 1, got {per_class}.')
    cfg = load_config(config, cfg_options=cfg_options)
    model = build_classifier(cfg, checkpoint, device)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
    classes = dataset.metainfo['classes']
    cam = GradCAM(model, target_layer)
    rows = []
    for idx in pick_per_class(dataset.get_gt_labels(), len(classes),
                              per_class):
        data = dataset[idx]
        batch = model.data_preprocessor(
            dict(inputs=[data['inputs']],
                 data_samples=[data['data_samples']]), False)
        gt = int(data['data_samples'].gt_label)
        maps, logits = cam(batch['inputs'],
                           [gt] if explain == 'gt' else None)
        pred = int(logits.argmax(dim=1))
        image = data['inputs'].permute(1, 2, 0).cpu().numpy()
        name = classes[gt]
        n = sum(row['gt'] == name for row in rows)
        stem = osp.splitext(osp.basename(data['data_samples'].img_path))[0]
        path = osp.join(out_dir, name, f'{n:03d}_{stem}.png')
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, overlay_cam(image, maps[0].cpu().numpy(), alpha))
        rows.append(dict(
            file=osp.relpath(path, out_dir),
            image=data['data_samples'].img_path,
            gt=name, pred=classes[pred],
            score=f'{float(logits.softmax(dim=1)[0, pred]):.4f}',
            explained=name if explain == 'gt' else classes[pred],
            target_layer=cam.target_layer))
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'grad_cam.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, list(rows[0]) if rows else ['file'])
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main():
    args = parse_args()
    rows = write_grad_cams(
        args.config, args.checkpoint, args.out, args.per_class,
        args.target_layer, args.explain, args.split, args.alpha, args.device,
        args.cfg_options)
    layer = rows[0]['target_layer'] if rows else '-'
    print(f'{len(rows)} Grad-CAM overlays of {layer} written to {args.out}')


if __name__ == '__main__':
    main()
