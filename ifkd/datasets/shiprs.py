"""ShipRSImageNet dataset with a selectable class-hierarchy level."""
import colorsys
from typing import List, Optional, Tuple

from mmdet.datasets import CocoDataset

from ifkd.registry import DATASETS
from .shiprs_classes import shiprs_classes, shiprs_name_getter
from .voc_parsing import NameGetter
from .voc_split_coco import VOCSplitCocoMixin


def _palette(num: int) -> List[Tuple[int, int, int]]:
    """Evenly spaced hues, so every level gets distinct, stable colours."""
    return [
        tuple(round(255 * c) for c in colorsys.hsv_to_rgb(i / num, 0.8, 0.9))
        for i in range(num)
    ]


@DATASETS.register_module()
class ShipRSImageNetDataset(VOCSplitCocoMixin, CocoDataset):
    """ShipRSImageNet: 3,435 optical images, ships on four class levels.

    ``level`` picks the class list (0/1/2/3 = 2/4/25/50 classes; the paper
    uses 3). With a VOC split ``ann_file`` (``ImageSets/train.txt``) each
    object's class is read from its ``<level_N>`` field, so no conversion is
    needed::

        dict(type='ifkd.ShipRSImageNetDataset', level=3,
             data_root='data/ShipRSImageNet/VOC_Format/',
             ann_file='ImageSets/train.txt',
             data_prefix=dict(img='JPEGImages/'))

    With a json ``ann_file`` it must have been converted at the same level
    (``tools/dataset_converters/shiprs2coco.py --level``).

    Args:
        level (int): Class hierarchy level, 0..3. Defaults to 3.
        metainfo (dict, optional): Overrides; by default ``classes`` are the
            level's classes.
        **kwargs: ``CocoDataset`` arguments.
    """

    METAINFO = {
        'classes': shiprs_classes(3),
        'palette': _palette(len(shiprs_classes(3)))
    }

    def __init__(self,
                 *args,
                 level: int = 3,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        classes = shiprs_classes(level)
        self.level = level
        metainfo = dict(
            dict(classes=classes, palette=_palette(len(classes))),
            **(metainfo or {}))
        metainfo['level'] = level
        super().__init__(*args, metainfo=metainfo, **kwargs)

    def voc_default_classes(self) -> Tuple[str, ...]:
        return shiprs_classes(self.level)

    def voc_name_getter(self) -> NameGetter:
        return shiprs_name_getter(self.level)
