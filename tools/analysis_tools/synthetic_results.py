"""Train and test every ``*_synthetic-sar-aircraft`` config (teachers,
students, IFKD, baselines, ablations) at one budget, then write the tables.

    python tools/analysis_tools/synthetic_results.py \
        [--only 'ifkd|fgd'] [--work-dir work_dirs/synthetic] \
        [--update-readme configs/ifkd/README.md] \
        [--update-metafile configs/ifkd/metafile.yml] [budget flags]

The budget flags (images, size, epochs, batch) are those of
``tools/run_demo.py``, with the same defaults. The two teachers and the
four undistilled students are trained first; each distillation config then
uses its detector's teacher. Finished stages are skipped, so a cut-short
run resumes. Results go to WORK_DIR/results.{md,csv} through
``collect_results.py``, which also rewrites the README section and the
metafile's synthetic-set results when asked.
"""
import argparse
import glob
import os
import os.path as osp
import re
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tools'))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis_tools'))


def all_names():
    """Every synthetic-set config name: plain detectors, then distillers
    (``configs/ablations/at_*`` is ``configs/baselines/at_*``)."""
    from ifkd.engine.pipeline import DATASET, DISTILL_RE
    names = set()
    for path in glob.glob(osp.join(ROOT, 'configs', '*', f'*_{DATASET}.py')):
        names.add(osp.splitext(osp.basename(path))[0])
    plain = sorted(n for n in names if not DISTILL_RE.match(n))
    distill = sorted(n for n in names if DISTILL_RE.match(n))
    return plain, distill


def parse_args(argv=None):
    from run_demo import add_budget_args
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--work-dir', default='work_dirs/synthetic')
    p.add_argument(
        '--only', help='regex: only the configs whose name it matches, plus '
        'the teachers and students these need')
    p.add_argument(
        '--threads', type=int,
        help='torch CPU threads; two single-thread runs with disjoint '
        '--only on 2 cores beat one two-thread run')
    p.add_argument('--update-readme', help='README to rewrite the section of')
    p.add_argument('--update-metafile', help='metafile.yml to update')
    add_budget_args(p)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    os.chdir(ROOT)
    import collect_results
    from run_demo import budget_from_args

    from ifkd.engine import pipeline as pl

    budget = budget_from_args(args)
    wd = args.work_dir
    try:
        pl.ensure_data(args.data_root, budget, guard_dir=wd)
        pl.save_budget(wd, budget)
    except RuntimeError as e:
        sys.exit(str(e))
    sam = pl.ensure_sam_checkpoint(args.sam_checkpoint, wd)
    plain, distill = all_names()
    if args.only:
        distill = [n for n in distill if re.search(args.only, n)]
        needed = {f(n) for n in distill for f in (pl.teacher_of,
                                                    pl.student_of)}
        plain = [n for n in plain
                 if n in needed or re.search(args.only, n)]
    timings, test_dirs = pl.run_stages(plain + distill, wd, args.data_root,
                                       budget, sam)
    extra_args = []
    note = (f'Budget: {budget.describe()}, made by '
            '`tools/analysis_tools/synthetic_results.py`.')
    if args.update_readme:
        extra_args += ['--update-readme', args.update_readme]
    if args.update_metafile:
        extra_args += ['--update-metafile', args.update_metafile]
    collect_results.main([
        *test_dirs, '--out',
        osp.join(wd, 'results.md'), '--csv',
        osp.join(wd, 'results.csv'), '--note', note, *extra_args
    ])
    with open(osp.join(wd, 'results.md')) as f:
        print(f.read())
    print('train time (s): ' + ', '.join(f'{k} {v:.0f}'
                                         for k, v in timings.items()) +
          f'; total {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
