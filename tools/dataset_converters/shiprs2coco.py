"""Convert ShipRSImageNet (``VOC_Format``) splits to COCO json files.

The class of each object is read from its ``<level_N>`` field, so the same
annotations give the 2/4/25/50-class task of level 0/1/2/3.

Not needed for training: ``ShipRSImageNetDataset`` and ``VOCCocoMetric``
read the split files directly.

Example:
    python tools/dataset_converters/shiprs2coco.py \
        data/ShipRSImageNet/VOC_Format --splits train val --level 3
"""
import argparse
import json
import os
import os.path as osp

from ifkd.datasets.shiprs_classes import shiprs_classes, shiprs_name_getter
from ifkd.datasets.voc_parsing import find_split_file, voc_split_to_coco


def parse_args():
    parser = argparse.ArgumentParser(
        description='Convert ShipRSImageNet VOC annotations to COCO json '
        '(one shiprs_<split>_level<L>.json per split).')
    parser.add_argument(
        'data_root',
        help='the VOC_Format folder holding Annotations/, JPEGImages/ and '
        'ImageSets/<split>.txt')
    parser.add_argument(
        '--splits',
        nargs='+',
        default=['train', 'val'],
        help='splits to convert (default: %(default)s)')
    parser.add_argument(
        '--level',
        type=int,
        choices=[0, 1, 2, 3],
        default=3,
        help='class hierarchy level: 0/1/2/3 = 2/4/25/50 classes '
        '(default: %(default)s, as in the paper)')
    parser.add_argument(
        '--out-dir',
        default=None,
        help='output folder (default: <data_root>/annotations)')
    return parser.parse_args()


def main():
    args = parse_args()
    out_dir = args.out_dir or osp.join(args.data_root, 'annotations')
    os.makedirs(out_dir, exist_ok=True)
    classes = shiprs_classes(args.level)
    for split in args.splits:
        coco = voc_split_to_coco(
            find_split_file(args.data_root, split), classes,
            shiprs_name_getter(args.level))
        out_file = osp.join(out_dir, f'shiprs_{split}_level{args.level}.json')
        with open(out_file, 'w') as f:
            json.dump(coco, f)
        print(f"{split}: {len(coco['images'])} images, "
              f"{len(coco['annotations'])} boxes -> {out_file}")


if __name__ == '__main__':
    main()
