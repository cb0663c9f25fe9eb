"""Compute SAR-AIRcraft-1.0 annotation statistics for the synthetic generator.

Reads the real annotations (one XML with ``<annotations><annotation>...``
for all 4,368 images, or a VOC ``Annotations/`` folder) and writes the small
json the generator samples from (``ifkd/datasets/sar_aircraft_stats.json``).

Example:
    python tools/analysis_tools/sar_aircraft_stats.py \
        /work/shared/data/sar-aircraft-1.0-all-annotations.xml
"""
import argparse
import glob
import json
import math
import os.path as osp
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Dict, List, Sequence

from ifkd.datasets.voc_parsing import (SAR_AIRCRAFT_CLASSES, VOCFormatError,
                                       parse_annotation_element,
                                       parse_voc_xml)

DEFAULT_OUT = osp.join(
    osp.dirname(__file__), '..', '..', 'ifkd', 'datasets',
    'sar_aircraft_stats.json')
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
NDIGITS = 6


def load_records(source: str) -> List[dict]:
    """Parse every annotation of a combined XML file or an XML folder."""
    if osp.isdir(source):
        files = sorted(glob.glob(osp.join(source, '*.xml')))
        if not files:
            raise VOCFormatError(
                f'No *.xml in {source}; pass the Annotations/ folder or the '
                f'combined annotations XML.')
        return [parse_voc_xml(f, SAR_AIRCRAFT_CLASSES) for f in files]
    try:
        root = ET.parse(source).getroot()
    except (OSError, ET.ParseError) as e:
        raise VOCFormatError(
            f'Cannot read {source} ({e}); pass the combined annotations XML '
            f'or an Annotations/ folder.') from e
    anns = [root] if root.tag == 'annotation' else root.findall('annotation')
    return [
        parse_annotation_element(ann, SAR_AIRCRAFT_CLASSES,
                                 f'{source} (annotation #{i})')
        for i, ann in enumerate(anns)
    ]


def compute_stats(records: Sequence[dict]) -> Dict:
    """Summarise class frequencies, box sizes, objects/image, image sizes.

    Box sizes are given relative to the image side (w / W, h / H) because the
    generator renders images of another size. For sampling, each class gets
    the mean and covariance of ``(log(w / W), log(h / H))`` (a 2-D log-normal
    keeps width and height correlated, like real aircraft extents) plus
    quantiles for clamping. All floats are rounded to 6 digits so the json is
    stable across platforms.
    """
    class_counts = Counter()
    sizes = Counter()
    per_image = Counter()
    rel = {name: [] for name in SAR_AIRCRAFT_CLASSES}
    for rec in records:
        sizes[f"{rec['width']}x{rec['height']}"] += 1
        per_image[len(rec['objects'])] += 1
        for obj in rec['objects']:
            x1, y1, x2, y2 = obj['bbox']
            class_counts[obj['name']] += 1
            rel[obj['name']].append(
                ((x2 - x1) / rec['width'], (y2 - y1) / rec['height']))

    num_objects = sum(class_counts.values())
    boxes = {}
    for name, wh in rel.items():
        if not wh:
            continue
        boxes[name] = dict(
            rel_w=_summary([w for w, _ in wh]),
            rel_h=_summary([h for _, h in wh]),
            log_wh_mean=_round(_mean_vec(wh, log=True)),
            log_wh_cov=_round(_cov(wh)))
    return dict(
        source='SAR-AIRcraft-1.0 annotations (all 4,368 images)',
        classes=list(SAR_AIRCRAFT_CLASSES),
        num_images=len(records),
        num_objects=num_objects,
        class_counts={c: class_counts[c] for c in SAR_AIRCRAFT_CLASSES},
        class_freq={
            c: round(class_counts[c] / num_objects, NDIGITS)
            for c in SAR_AIRCRAFT_CLASSES
        },
        image_sizes=dict(
            sorted(sizes.items(),
                   key=lambda kv: tuple(map(int, kv[0].split('x'))))),
        objects_per_image=dict(
            hist={str(k): per_image[k]
                  for k in sorted(per_image)},
            mean=round(num_objects / len(records), NDIGITS)),
        boxes=boxes)


def _summary(values: List[float]) -> Dict[str, float]:
    values = sorted(values)
    out = dict(
        mean=sum(values) / len(values), min=values[0], max=values[-1])
    for q in QUANTILES:
        out[f'p{round(q * 100):02d}'] = _quantile(values, q)
    return _round(out)


def _quantile(sorted_values: List[float], q: float) -> float:
    # Linear interpolation, same as numpy's default.
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (
        pos - lo)


def _mean_vec(wh, log=False):
    pts = [(math.log(w), math.log(h)) if log else (w, h) for w, h in wh]
    return [sum(p[i] for p in pts) / len(pts) for i in range(2)]


def _cov(wh):
    pts = [(math.log(w), math.log(h)) for w, h in wh]
    mean = _mean_vec(wh, log=True)
    n = max(len(pts) - 1, 1)
    return [[
        sum((p[i] - mean[i]) * (p[j] - mean[j]) for p in pts) / n
        for j in range(2)
    ] for i in range(2)]


def _round(obj):
    if isinstance(obj, float):
        return round(obj, NDIGITS)
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    return obj


def parse_args():
    parser = argparse.ArgumentParser(
        description='Compute SAR-AIRcraft-1.0 statistics (class counts, '
        'relative box sizes, objects per image, image sizes) for the '
        'synthetic data generator.')
    parser.add_argument(
        'annotations',
        help='combined annotations XML (<annotations><annotation>...) or an '
        'Annotations/ folder of per-image XML files')
    parser.add_argument(
        '--out',
        default=DEFAULT_OUT,
        help='output json (default: %(default)s)')
    return parser.parse_args()


def main():
    args = parse_args()
    stats = compute_stats(load_records(args.annotations))
    with open(args.out, 'w') as f:
        json.dump(stats, f, indent=2)
        f.write('\n')
    print(f"{stats['num_images']} images, {stats['num_objects']} objects "
          f'-> {osp.normpath(args.out)}')


if __name__ == '__main__':
    main()
