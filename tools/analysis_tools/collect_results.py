# Collect test metrics into the paper's tables (Markdown + CSV) and plot
# sweeps.
#
#   python tools/analysis_tools/collect_results.py WORK_DIRS... \
#       --out results.md --csv results.csv [--plot sweeps.png] \
#       [--update-readme configs/ifkd/README.md]
#
# A work dir holds the json that tools/test.py writes
# (<work_dir>/<timestamp>/<timestamp>.json, keys coco/bbox_mAP, _50, _75);
# the latest one is used, else the last validation of a training run. Its
# name says what it is: a config name such as
# retinanet_mbv2_fpn_1x_shiprs (a teacher r50 / a student) or
# fgd_retinanet_r50-mbv2_fpn_1x_shiprs (a distilled student), taken from the
# dir, its parent, or the config dumped in it. A directory that is neither
# is searched one level down, so a work_dirs/ root can be passed.
#
# Tables follow the paper: per detector and student, one row per method
# (teacher, student, baselines, IFKD), mAP / AP50 / AP75 per dataset in %,
# with the gain over the undistilled student. --update-readme rewrites the
# synthetic-set section of a README between its SYNTHETIC-RESULTS markers,
# --update-metafile the synthetic-set Results of an OpenMMLab metafile.
import argparse
import csv
import glob
import json
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Optional

METRICS = OrderedDict(
    [('mAP', 'coco/bbox_mAP'), ('AP50', 'coco/bbox_mAP_50'),
     ('AP75', 'coco/bbox_mAP_75')])
DATASETS = OrderedDict(
    [('sar-aircraft', 'SAR-AIRcraft-1.0'), ('shiprs', 'ShipRSImageNet'),
     ('synthetic-sar-aircraft', 'Synthetic SAR-AIRcraft')])
DETECTORS = OrderedDict([('faster-rcnn', 'Faster R-CNN'),
                         ('retinanet', 'RetinaNet')])
BACKBONES = {'r50': 'ResNet50', 'r18': 'ResNet18', 'mbv2': 'MobileNetV2'}
METHODS = OrderedDict(
    [('teacher', 'Teacher'), ('student', 'Student'), ('fitnet', 'FitNet'),
     ('at', 'AT'), ('fkd', 'FKD'), ('frs', 'FRS'), ('fgd', 'FGD'),
     ('arsd', 'ARSD'), ('insdist', 'InsDist'), ('at-ede', 'AT + EDE'),
     ('at-fdr', 'AT + FDR'), ('at-hsm', 'AT + HSM'),
     ('at-ede-fdr', 'AT + EDE + FDR'), ('at-ede-hsm', 'AT + EDE + HSM'),
     ('at-fdr-hsm', 'AT + FDR + HSM'),
     ('at-ede-fdr-hsm', 'AT + EDE + FDR + HSM'), ('ifkd', 'IFKD (ours)')])
README_START = '<!-- SYNTHETIC-RESULTS:START -->'
README_END = '<!-- SYNTHETIC-RESULTS:END -->'

_DET = '|'.join(DETECTORS)
DISTILL_RE = re.compile(rf'^(?P<method>[a-z0-9-]+?)_(?P<det>{_DET})_'
                        r'(?P<teacher>[a-z0-9]+)-(?P<student>[a-z0-9]+)_fpn_'
                        r'1x_(?P<ds>[a-z0-9-]+)$')
PLAIN_RE = re.compile(rf'^(?P<det>{_DET})_(?P<backbone>[a-z0-9]+)_fpn_1x_'
                      r'(?P<ds>[a-z0-9-]+)$')
TEACHER_BACKBONE = 'r50'


def parse_name(name: str) -> Optional[dict]:
    """What a config name describes, or None."""
    name = osp.splitext(name)[0]
    m = DISTILL_RE.match(name)
    if m:
        return dict(method=m['method'], detector=m['det'],
                    teacher=m['teacher'], student=m['student'],
                    dataset=m['ds'])
    m = PLAIN_RE.match(name)
    if m:
        role = 'teacher' if m['backbone'] == TEACHER_BACKBONE else 'student'
        return dict(method=role, detector=m['det'], teacher=TEACHER_BACKBONE,
                    student=m['backbone'], dataset=m['ds'])
    return None


def identify(work_dir: str) -> Optional[dict]:
    work_dir = osp.abspath(work_dir)
    names = [osp.basename(work_dir), osp.basename(osp.dirname(work_dir))]
    names += [osp.basename(p) for p in glob.glob(osp.join(work_dir, '*.py'))]
    for name in names:
        info = parse_name(name)
        if info:
            return info
    return None


def _timestamp_dirs(work_dir: str) -> List[str]:
    return sorted(d for d in glob.glob(osp.join(work_dir, '*'))
                  if re.fullmatch(r'\d{8}_\d{6}', osp.basename(d)))


def _last_line_with(path: str, key: str) -> Optional[dict]:
    found = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if key in line:
                found = json.loads(line)
    return found


def find_metrics(work_dir: str) -> Optional[dict]:
    """The latest test metrics of a work dir (``source='test'``), else the
    last validation of its latest training (``source='val'``)."""
    key = METRICS['mAP']
    for ts in reversed(_timestamp_dirs(work_dir)):
        path = osp.join(ts, osp.basename(ts) + '.json')
        if osp.isfile(path):
            data = _last_line_with(path, key)
            if data:
                return dict(metrics=data, path=path, source='test')
    for ts in reversed(_timestamp_dirs(work_dir)):
        path = osp.join(ts, 'vis_data', 'scalars.json')
        if osp.isfile(path):
            data = _last_line_with(path, key)
            if data:
                return dict(metrics=data, path=path, source='val')
    return None


def collect(paths: List[str]) -> List[dict]:
    """One row per identified work dir with metrics (searching one level
    down from a directory that is not one)."""
    rows = []
    for path in paths:
        candidates = [path]
        if not identify(path) or not find_metrics(path):
            candidates = sorted(
                d for d in glob.glob(osp.join(path, '*')) if osp.isdir(d))
        for wd in candidates:
            info, found = identify(wd), find_metrics(wd)
            if not info or not found:
                continue
            row = dict(info, work_dir=wd, json=found['path'],
                       source=found['source'])
            for col, key in METRICS.items():
                row[col] = 100 * float(found['metrics'][key])
            rows.append(row)
    add_gains(rows)
    return rows


def add_gains(rows: List[dict]) -> None:
    """Gain of each distilled row over the undistilled student of the same
    detector, backbone and dataset (None when that student is missing)."""
    students = {(r['detector'], r['student'], r['dataset']): r
                for r in rows if r['method'] == 'student'}
    for row in rows:
        base = students.get((row['detector'], row['student'], row['dataset']))
        distilled = row['method'] not in ('teacher', 'student')
        for col in METRICS:
            row[f'gain_{col}'] = (row[col] - base[col]
                                  if base and distilled else None)


def _order(method: str) -> int:
    keys = list(METHODS)
    return keys.index(method) if method in keys else len(keys)


def _cell(row: Optional[dict], col: str) -> str:
    if row is None:
        return '-'
    text = f'{row[col]:.1f}'
    if row.get(f'gain_{col}') is not None:
        text += f' ({row[f"gain_{col}"]:+.1f})'
    return text


def markdown_tables(rows: List[dict]) -> str:
    """One table per detector and student: methods x (dataset x metric)."""
    out = []
    groups = sorted({(r['detector'], r['student'])
                     for r in rows if r['method'] != 'teacher'},
                    key=lambda g: (list(DETECTORS).index(g[0]), g[1]))
    for det, student in groups:
        members = [r for r in rows if r['detector'] == det and (
            r['student'] == student or r['method'] == 'teacher')]
        datasets = [d for d in DATASETS if any(
            r['dataset'] == d for r in members)]
        out.append(f'### {DETECTORS[det]}: ResNet50 -> '
                   f'{BACKBONES.get(student, student)}\n')
        head = ['Method'] + [f'{DATASETS[d]} {c}' for d in datasets
                             for c in METRICS]
        out.append('| ' + ' | '.join(head) + ' |')
        out.append('|' + '---|' * len(head))
        methods = sorted({r['method'] for r in members}, key=_order)
        for method in methods:
            cells = [METHODS.get(method, method)]
            for ds in datasets:
                row = next((r for r in members if r['method'] == method
                            and r['dataset'] == ds), None)
                cells += [_cell(row, c) for c in METRICS]
            out.append('| ' + ' | '.join(cells) + ' |')
        out.append('')
    out.append('mAP / AP50 / AP75 in %, COCO-style; in parentheses the gain '
               'over the undistilled student.')
    return '\n'.join(out) + '\n'


CSV_FIELDS = ['dataset', 'detector', 'teacher', 'student', 'method', 'mAP',
              'AP50', 'AP75', 'gain_mAP', 'gain_AP50', 'gain_AP75', 'source',
              'work_dir', 'json']


def write_csv(rows: List[dict], path: str) -> None:
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, CSV_FIELDS, extrasaction='ignore')
        writer.writeheader()
        for row in rows:
            writer.writerow({
                k: ('' if row.get(k) is None else
                    round(row[k], 4) if isinstance(row[k], float) else row[k])
                for k in CSV_FIELDS
            })


def update_readme(readme: str, rows: List[dict], note: str = '') -> None:
    """Rewrite the README section between the SYNTHETIC-RESULTS markers
    with the tables of the synthetic-set rows (and ``note`` above them)."""
    text = open(readme).read()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f'{readme} has no {README_START} ... {README_END} '
                         'section.')
    synthetic = [r for r in rows if r['dataset'] == 'synthetic-sar-aircraft']
    body = (markdown_tables(synthetic) if synthetic else
            '_No synthetic-set results collected yet._\n')
    if note:
        body = note + '\n\n' + body
    body = ('<!-- Generated by tools/analysis_tools/collect_results.py '
            '--update-readme; do not edit by hand. -->\n\n' + body)
    text = (text[:start + len(README_START)] + '\n' + body +
            text[end:])
    with open(readme, 'w') as f:
        f.write(text)


def config_name(row: dict) -> str:
    """The config name a row was identified from."""
    tail = f"fpn_1x_{row['dataset']}"
    if row['method'] in ('teacher', 'student'):
        backbone = row['teacher' if row['method'] == 'teacher' else 'student']
        return f"{row['detector']}_{backbone}_{tail}"
    return (f"{row['method']}_{row['detector']}_{row['teacher']}-"
            f"{row['student']}_{tail}")


def _yaml_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def update_metafile(metafile: str, rows: List[dict], note: str = '') -> int:
    """Replace the ``Results`` of each synthetic-set model of an OpenMMLab
    ``metafile.yml`` that has a row; returns how many were set."""
    by_name = {config_name(r): r for r in rows
               if r['dataset'] == 'synthetic-sar-aircraft'}
    source = 'measured with this code by collect_results.py'
    if note:
        source += '; ' + note
    with open(metafile) as f:
        lines = f.read().splitlines(keepends=True)
    out, name, done, i = [], None, 0, 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r'^  - Name: (\S+)', line)
        if m:
            name = m[1]
        if line.startswith('    Results:') and name in by_name:
            row = by_name[name]
            out += [
                '    Results:\n', '      - Task: Object Detection\n',
                f"        Dataset: {DATASETS[row['dataset']]}\n",
                '        Metrics:\n',
                f"          box AP: {row['mAP']:.1f}\n",
                f"          box AP@0.5: {row['AP50']:.1f}\n",
                f"          box AP@0.75: {row['AP75']:.1f}\n",
                f'        Source: {_yaml_quote(source)}\n'
            ]
            done += 1
            i += 1
            while i < len(lines) and lines[i].startswith('      '):
                i += 1  # the old results block
            continue
        out.append(line)
        i += 1
    with open(metafile, 'w') as f:
        f.writelines(out)
    return done


def sweep_points(sweep_dir: str) -> List[dict]:
    """The points of a sweep.py dir with their metrics."""
    meta = json.load(open(osp.join(sweep_dir, 'sweep.json')))
    points = []
    for name, values in meta['points'].items():
        found = find_metrics(osp.join(sweep_dir, name))
        if found:
            points.append(dict(
                name=name, values=values,
                **{c: 100 * float(found['metrics'][k])
                   for c, k in METRICS.items()}))
    return points


def plot_sweeps(sweep_dirs: List[str], out: str, metric: str = 'mAP') -> None:
    """One panel per sweep: the metric against each swept key that takes
    several values (one curve per setting of the others)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    panels = []
    for sweep_dir in sweep_dirs:
        points = sweep_points(sweep_dir)
        keys = list(points[0]['values']) if points else []
        varying = [k for k in keys
                   if len({p['values'][k] for p in points}) > 1] or keys[:1]
        for key in varying:
            panels.append((sweep_dir, key, points))
    if not panels:
        raise ValueError('no sweep dir with collected metrics to plot')
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.5),
                             squeeze=False)
    for ax, (sweep_dir, key, points) in zip(axes[0], panels):
        curves: Dict[str, list] = {}
        for p in points:
            others = ', '.join(f'{k}={v}' for k, v in p['values'].items()
                               if k != key)
            curves.setdefault(others, []).append(
                (float(p['values'][key]), p[metric]))
        for label, xy in curves.items():
            xy.sort()
            ax.plot([x for x, _ in xy], [y for _, y in xy], marker='o',
                    label=label or None)
        ax.set_xlabel(key)
        ax.set_ylabel(f'{metric} (%)')
        ax.set_title(osp.basename(osp.normpath(sweep_dir)))
        if any(curves):
            ax.legend(fontsize='small')
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Collect detection results')
    parser.add_argument('work_dirs', nargs='+',
                        help='work dirs (or dirs of work dirs) of test runs')
    parser.add_argument('--out', help='Markdown tables output')
    parser.add_argument('--csv', help='CSV output (one row per work dir)')
    parser.add_argument(
        '--plot', help='PNG of the sweep curves of the given sweep dirs '
        '(those holding a sweep.json)')
    parser.add_argument('--metric', default='mAP', choices=list(METRICS),
                        help='metric plotted against the swept value')
    parser.add_argument(
        '--update-readme',
        help='README whose synthetic-results section to rewrite')
    parser.add_argument(
        '--update-metafile',
        help='metafile.yml whose synthetic-set Results to rewrite')
    parser.add_argument(
        '--note', default='',
        help='how the results were made (budget), put above the tables and '
        'in the metafile Source')
    return parser.parse_args(argv)


def main(argv=None) -> List[dict]:
    args = parse_args(argv)
    rows = collect(args.work_dirs)
    tables = markdown_tables(rows)
    if args.note:
        tables = args.note + '\n\n' + tables
    if args.out:
        with open(args.out, 'w') as f:
            f.write(tables)
    else:
        print(tables)
    if args.csv:
        write_csv(rows, args.csv)
    if args.update_readme:
        update_readme(args.update_readme, rows, args.note)
    if args.update_metafile:
        update_metafile(args.update_metafile, rows, args.note)
    if args.plot:
        sweeps = [d for d in args.work_dirs
                  if osp.isfile(osp.join(d, 'sweep.json'))]
        plot_sweeps(sweeps, args.plot, args.metric)
    return rows


if __name__ == '__main__':
    main()
