"""Convert SAR-AIRcraft-1.0 (VOC layout) splits to COCO json files.

Not needed for training: ``SARAircraftDataset`` and ``VOCCocoMetric`` read
the VOC split files directly. Use this to get json files for other tools.

Example:
    python tools/dataset_converters/sar_aircraft2coco.py \
        data/SAR-AIRcraft-1.0 --splits train test \
        --out-dir data/SAR-AIRcraft-1.0/coco
"""
import argparse
import json
import os
import os.path as osp

from ifkd.datasets.voc_parsing import (SAR_AIRCRAFT_CLASSES, find_split_file,
                                       voc_split_to_coco)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Convert SAR-AIRcraft-1.0 VOC annotations to COCO json '
        '(one sar_aircraft_<split>.json per split).')
    parser.add_argument(
        'data_root',
        help='unpacked dataset root holding Annotations/, JPEGImages/ and '
        'ImageSets/Main/<split>.txt')
    parser.add_argument(
        '--splits',
        nargs='+',
        default=['train', 'test'],
        help='splits to convert (default: %(default)s)')
    parser.add_argument(
        '--out-dir',
        default=None,
        help='output folder (default: <data_root>/annotations)')
    return parser.parse_args()


def main():
    args = parse_args()
    out_dir = args.out_dir or osp.join(args.data_root, 'annotations')
    os.makedirs(out_dir, exist_ok=True)
    for split in args.splits:
        coco = voc_split_to_coco(
            find_split_file(args.data_root, split), SAR_AIRCRAFT_CLASSES)
        out_file = osp.join(out_dir, f'sar_aircraft_{split}.json')
        with open(out_file, 'w') as f:
            json.dump(coco, f)
        print(f"{split}: {len(coco['images'])} images, "
              f"{len(coco['annotations'])} boxes -> {out_file}")


if __name__ == '__main__':
    main()
