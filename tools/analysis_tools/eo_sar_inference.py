"""Inference of a SAR classifier on the EO-SAR test set: test-time
augmentation, cluster voting, energy / max-softmax OOD scores, a
submission csv, and the metrics when the test set has labels.

    python tools/analysis_tools/eo_sar_inference.py \
        configs/eo_sar_cls/resnet18-w8_1xb32_synthetic-sar.py STUDENT.pth \
        --out work_dirs/eo-sar/submission.csv --vote feature

Works with any mmpretrain classifier config whose test pipeline ends with
``PackInputs``; a distilled student is first exported
(tools/model_converters/export_student.py) and used with its own config.
The csv has one row ``id,class,score`` per chip (class index; score: minus
the energy, or the max-softmax, higher = more likely in distribution).
"""
import argparse
import json
import os.path as osp
import sys
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))


def parse_args(argv: Optional[Sequence[str]] = None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help="the classifier's (student's own) config")
    p.add_argument('checkpoint', help='its (exported) checkpoint')
    p.add_argument('--out', required=True, help='submission csv to write')
    p.add_argument('--data-root', help="overrides the test set's data_root")
    p.add_argument('--labels-file', help='id,class csv (evaluation)')
    p.add_argument('--ood-file', help='OOD id list (evaluation)')
    p.add_argument('--blind', action='store_true',
                   help='ignore the labels/OOD files of the config')
    p.add_argument('--no-tta', action='store_true',
                   help='the plain chip only')
    p.add_argument('--no-flip', action='store_true')
    p.add_argument('--no-rot90', action='store_true')
    p.add_argument('--scales', type=float, nargs='+', default=[1.0],
                   help='resize factors of the TTA views, 1.0 included '
                   '(e.g. 1.0 1.25 for multi-scale)')
    p.add_argument('--vote', choices=['none', 'feature', 'id-gap'],
                   default='none', help='cluster voting mode')
    p.add_argument('--cluster-method', default='average',
                   choices=['single', 'average', 'complete'])
    p.add_argument('--cluster-threshold', type=float, default=0.05,
                   help='cosine distance of the feature clustering')
    p.add_argument('--id-gap', type=int, default=100,
                   help='id-gap mode: a gap above this starts a new group')
    p.add_argument('--min-confidence', type=float, default=0.95,
                   help='only predictions above this vote')
    p.add_argument('--score', choices=['energy', 'max_softmax'],
                   default='energy', help='OOD score written to the csv')
    p.add_argument('--temperature', type=float, default=1.0,
                   help='energy temperature T')
    return p.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    import ifkd  # noqa: F401
    from ifkd.engine.inference import decide, predict, write_submission
    from ifkd.evaluation.ood_metric import ood_metrics
    dataset = {}
    if args.data_root:
        dataset['data_root'] = args.data_root
    if args.blind:
        dataset.update(labels_file=None, ood_file=None)
    if args.labels_file:
        dataset['labels_file'] = args.labels_file
    if args.ood_file:
        dataset['ood_file'] = args.ood_file
    preds = predict(
        args.config, args.checkpoint, flip=not args.no_flip,
        rot90=not args.no_rot90, scales=args.scales, dataset=dataset)
    decision = decide(
        preds, views=1 if args.no_tta else None, vote_mode=args.vote,
        cluster_method=args.cluster_method,
        cluster_threshold=args.cluster_threshold, id_gap=args.id_gap,
        min_confidence=args.min_confidence, temperature=args.temperature)
    write_submission(args.out, preds.ids, decision.labels,
                     decision.scores[args.score])
    print(f'wrote {len(preds.ids)} predictions to {args.out}')
    metrics = {}
    if preds.gt is not None:
        metrics = ood_metrics(preds.gt, decision.labels, decision.scores,
                              preds.classes, args.score)
        with open(osp.splitext(args.out)[0] + '_metrics.json', 'w') as f:
            json.dump(metrics, f, indent=1)
        print(json.dumps(metrics, indent=1))
    return metrics


if __name__ == '__main__':
    main()
