"""The main job on the built-in synthetic SAR-aircraft data, end to end:

1. generate the synthetic set (SAR-AIRcraft-1.0 layout) if it is missing;
2. train the teacher (ResNet50-FPN) and the student baseline;
3. distill the student with IFKD (EDE + FDR + HSM) from the teacher, with
   the MobileSAM cache;
4. export the IFKD student and evaluate all three;
5. print and save (results.md / results.csv) the mAP / AP50 / AP75 table,
   built by tools/analysis_tools/collect_results.py.

Re-running skips the stages whose outputs exist. Every stage calls the
functions behind tools/train.py, tools/test.py, export_student.py and
collect_results.py in this one process (see ifkd/engine/pipeline.py).

``--system NAME`` runs another system instead, e.g. ``sar-ship`` (synthetic
ships, ResNet50 teacher, ShipCNN student alone / KD / IFKD feature / KD +
IFKD); see ifkd/engine/systems/, and ``--system NAME --help`` for its
flags.
"""
import argparse
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis_tools'))


def add_budget_args(p: argparse.ArgumentParser) -> None:
    """The data / schedule flags (``SyntheticBudget``), demo defaults."""
    from ifkd.engine.pipeline import SyntheticBudget
    d = SyntheticBudget()
    p.add_argument('--data-root', default='data/synthetic-sar-aircraft')
    p.add_argument('--num-train', type=int, default=d.num_train)
    p.add_argument('--num-test', type=int, default=d.num_test)
    p.add_argument('--img-size', type=int, default=d.img_size,
                   help='side of the generated images and of the resize')
    p.add_argument(
        '--scene-size', type=int, default=d.scene_size,
        help='aircraft are as many px wide as in a scene of this side (the '
        'images are crops of it); see gen_synthetic_sar_aircraft.py')
    p.add_argument('--epochs', type=int, default=d.epochs)
    p.add_argument('--batch-size', type=int, default=d.batch_size)
    p.add_argument(
        '--teacher-epochs', type=int, default=d.teacher_epochs,
        help='train the teachers longer than the students (default: '
        '--epochs)')
    p.add_argument('--seed', type=int, default=d.seed,
                   help='seed of every stage; -1 leaves them unseeded')
    p.add_argument(
        '--sam-checkpoint', default='checkpoints/mobile_sam.pt',
        help='MobileSAM vit_t weights; without them an untrained vit_t is '
        'saved and used, so the pipeline still runs offline')


def budget_from_args(args):
    from ifkd.engine.pipeline import SyntheticBudget
    return SyntheticBudget(
        num_train=args.num_train, num_test=args.num_test,
        img_size=args.img_size, scene_size=args.scene_size,
        epochs=args.epochs, batch_size=args.batch_size,
        seed=None if args.seed < 0 else args.seed,
        teacher_epochs=args.teacher_epochs)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--detector', choices=['retinanet', 'faster-rcnn'],
                   default='retinanet')
    p.add_argument('--student', choices=['mbv2', 'r18'], default='mbv2')
    p.add_argument('--work-dir', default='work_dirs/demo')
    p.add_argument(
        '--update-readme', metavar='PATH',
        help='also write the table, budget and times into PATH, between '
        'its <!-- BLOCK:begin --> and <!-- BLOCK:end --> markers')
    p.add_argument('--readme-block', default='demo-results',
                   help='BLOCK of --update-readme')
    add_budget_args(p)
    return p.parse_args()


def main():
    # `--system NAME`: another system, with its own flags (see
    # ifkd/engine/systems/).
    from ifkd.engine.systems import SYSTEMS, demo_main
    system = argparse.ArgumentParser(add_help=False)
    system.add_argument('--system', choices=['sar-aircraft', *SYSTEMS],
                        default='sar-aircraft')
    known, rest = system.parse_known_args()
    if known.system != 'sar-aircraft':
        os.chdir(ROOT)
        demo_main(known.system, rest)
        return
    sys.argv = [sys.argv[0]] + rest
    args = parse_args()
    start = time.time()
    os.chdir(ROOT)
    import collect_results

    from ifkd.engine import pipeline as pl

    budget = budget_from_args(args)
    wd = args.work_dir
    try:
        pl.ensure_data(args.data_root, budget, guard_dir=wd)
        pl.save_budget(wd, budget)
    except RuntimeError as e:
        sys.exit(str(e))
    sam = pl.ensure_sam_checkpoint(args.sam_checkpoint, wd)
    ds = pl.DATASET
    teacher = f'{args.detector}_r50_fpn_1x_{ds}'
    student = f'{args.detector}_{args.student}_fpn_1x_{ds}'
    ifkd = f'ifkd_{args.detector}_r50-{args.student}_fpn_1x_{ds}'

    stages = dict(teacher=teacher, student=student, IFKD=ifkd)
    took, test_dirs = pl.run_stages(list(stages.values()), wd,
                                    args.data_root, budget, sam)
    collect_results.main([
        *test_dirs, '--out',
        osp.join(wd, 'results.md'), '--csv',
        osp.join(wd, 'results.csv')
    ])
    with open(osp.join(wd, 'results.md')) as f:
        table = f.read().strip()
    times = ', '.join(f'{label} {took[name] / 60:.1f} min'
                      for label, name in stages.items() if name in took)
    footer = (f'Budget: {budget.describe()}.\n\nTraining wall time: {times} '
              f'(this run: {(time.time() - start) / 60:.1f} min in all).')
    print(table + '\n\n' + footer)
    if args.update_readme:
        from ifkd.engine.readme_block import replace_block
        begin, end = (f'<!-- {args.readme_block}:{m} -->'
                      for m in ('begin', 'end'))
        replace_block(args.update_readme,
                      f'{begin}\n{table}\n\n{footer}\n{end}', begin, end)


if __name__ == '__main__':
    main()
