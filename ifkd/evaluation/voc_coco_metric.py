"""COCO metric that also takes a VOC split file as ground truth."""
import os.path as osp
from typing import Optional, Sequence

from mmdet.evaluation import CocoMetric

from ifkd.datasets.shiprs_classes import shiprs_classes, shiprs_name_getter
from ifkd.datasets.voc_parsing import read_split_file
from ifkd.datasets.voc_split_coco import build_coco_api, is_voc_split
from ifkd.registry import METRICS


@METRICS.register_module()
class VOCCocoMetric(CocoMetric):
    """``CocoMetric`` whose ``ann_file`` may be a VOC split file.

    With a ``.json`` ``ann_file`` it is exactly ``CocoMetric``. With a VOC
    split (e.g. ``ImageSets/Main/test.txt``) the ground truth is converted in
    memory with the same code as ``SARAircraftDataset`` /
    ``ShipRSImageNetDataset`` (same image and category ids), so COCO
    mAP/AP50/AP75 need no conversion step::

        val_evaluator = dict(
            type='ifkd.VOCCocoMetric',
            data_root='data/SAR-AIRcraft-1.0/',
            ann_file='ImageSets/Main/test.txt',
            metric='bbox')

    The class vocabulary and ShipRSImageNet level are taken from the
    dataset's metainfo (``voc_classes``, ``level``) unless given here.

    Args:
        ann_file (str, optional): COCO json or VOC split file.
        data_root (str, optional): Joined with a relative ``ann_file``.
        level (int, optional): ShipRSImageNet level (0..3) whose
            ``<level_N>`` fields hold the classes. Defaults to the dataset's.
        voc_classes (Sequence[str], optional): Class names allowed in the XML
            files. Defaults to the dataset's.
        **kwargs: ``CocoMetric`` arguments.
    """

    def __init__(self,
                 ann_file: Optional[str] = None,
                 data_root: Optional[str] = None,
                 level: Optional[int] = None,
                 voc_classes: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        if ann_file is not None and data_root is not None:
            ann_file = osp.join(data_root, ann_file)
        self.voc_split = None
        if ann_file is not None and is_voc_split(ann_file):
            read_split_file(ann_file)  # fail at build time, not after eval
            self.voc_split, ann_file = ann_file, None
        if level is not None:
            shiprs_classes(level)  # validates the level
        self.level = level
        self.voc_classes = tuple(voc_classes) if voc_classes else None
        super().__init__(ann_file=ann_file, **kwargs)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        # The API must exist before CocoMetric.process, or it would demand
        # ground-truth instances in every data sample.
        self._build_voc_api()
        super().process(data_batch, data_samples)

    def compute_metrics(self, results: list) -> dict:
        self._build_voc_api()
        metrics = super().compute_metrics(results)
        if not metrics and not self.format_only:
            # CocoMetric returns nothing when the model detected nothing;
            # that is an AP of 0, and the metric keys must still exist.
            metrics = {
                f'{m}_{k}': 0.0
                for m in self.metrics
                for k in ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m',
                          'mAP_l')
            }
        return metrics

    def _build_voc_api(self) -> None:
        if self.voc_split is None or self._coco_api is not None:
            return
        meta = self.dataset_meta
        if meta is None or 'classes' not in meta:
            raise RuntimeError(
                'VOCCocoMetric needs dataset_meta to parse the VOC split; '
                'the runner sets it from the dataset, when used alone set '
                '`metric.dataset_meta = dataset.metainfo` first.')
        level = self.level
        if level is None:
            level = meta.get('level')
        elif meta.get('level', level) != level:
            raise ValueError(
                f"VOCCocoMetric(level={level}) disagrees with the dataset's "
                f"level={meta['level']}; set the same level on both (or "
                f'leave the metric level unset).')
        vocabulary = self.voc_classes or meta.get('voc_classes')
        if vocabulary is None:
            vocabulary = (
                shiprs_classes(level)
                if level is not None else tuple(meta['classes']))
        name_getter = shiprs_name_getter(level) if level is not None else None
        self._coco_api = build_coco_api(self.voc_split, vocabulary,
                                        name_getter)
