"""SAR-AIRcraft-1.0 dataset."""
from mmdet.datasets import CocoDataset

from ifkd.registry import DATASETS
from .voc_parsing import SAR_AIRCRAFT_CLASSES
from .voc_split_coco import VOCSplitCocoMixin


@DATASETS.register_module()
class SARAircraftDataset(VOCSplitCocoMixin, CocoDataset):
    """SAR-AIRcraft-1.0: 4,368 Gaofen-3 SAR images, 7 aircraft classes.

    ``ann_file`` may be a COCO json (see
    ``tools/dataset_converters/sar_aircraft2coco.py``) or, with no
    conversion step, the dataset's own split file, e.g.::

        dict(type='ifkd.SARAircraftDataset',
             data_root='data/SAR-AIRcraft-1.0/',
             ann_file='ImageSets/Main/train.txt',
             data_prefix=dict(img='JPEGImages/'))

    Image ids, category ids and box conventions are those of
    :mod:`ifkd.datasets.voc_parsing`. ``filter_cfg`` works as in
    ``CocoDataset``.
    """

    METAINFO = {
        'classes': SAR_AIRCRAFT_CLASSES,
        'palette': [(220, 20, 60), (119, 11, 32), (0, 0, 142), (0, 0, 230),
                    (106, 0, 228), (0, 60, 100), (0, 80, 100)]
    }
