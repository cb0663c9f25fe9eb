"""Base dataset of SAR ship chips listed in split files, and the merged
("mixed") FUSAR-Ship + OpenSARShip set."""
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset

from ifkd.registry import DATASETS
from .ship_classes import SHIP_CLASSES
from .ship_splits import Sample, check_image, class_counts, read_split


class ShipChipDataset(BaseDataset):
    """Single-label chips listed in a split file (``<path> <class>``).

    Every listed image is checked when the dataset is built: a missing
    file, an unreadable image header, an empty split or an unknown class
    fails at once with the file named and the fix. With ``ann_file=''``
    subclasses scan the release layout instead (:meth:`scan`).

    Args:
        data_root (str): Root the split paths are relative to.
        ann_file (str): Split file, relative to ``data_root``, e.g.
            ``'splits/train.txt'``; ``''`` lists every chip of the tree.
        classes (Sequence[str]): Class names, in label order. Defaults to
            ``SHIP_CLASSES``.
        pipeline (Sequence[dict]): mmpretrain transforms.
        test_mode (bool): Test mode. Defaults to False.
        check_images (bool): Check each image's header at build time
            (about 0.1 ms a file). Defaults to True.
        **kwargs: Other :class:`mmpretrain.datasets.BaseDataset` arguments.
    """

    METAINFO = {'classes': SHIP_CLASSES}

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = 'splits/train.txt',
                 classes: Optional[Sequence[str]] = SHIP_CLASSES,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 check_images: bool = True,
                 **kwargs):
        self.check_images = check_images
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            classes=classes,
            pipeline=pipeline,
            test_mode=test_mode,
            **kwargs)

    def scan(self) -> List[Sample]:
        """All chips of the release layout under ``data_root``."""
        raise ValueError(
            f'{type(self).__name__} needs an ann_file (a split file such as '
            f"'splits/train.txt' under {self.data_root!r})")

    def load_data_list(self) -> List[dict]:
        """Read the split file (or scan the tree) into data items."""
        classes = self.metainfo['classes']
        if self.ann_file:
            samples, source = read_split(self.ann_file, classes), self.ann_file
        else:
            samples, source = self.scan(), self.data_root
            samples = [s for s in samples if s[1] in classes]
            if not samples:
                raise ValueError(f'no chips of classes {tuple(classes)} '
                                 f'found under {self.data_root!r}; check '
                                 f'data_root')
        to_label = {c: i for i, c in enumerate(classes)}
        data_list = []
        for path, name in samples:
            img_path = osp.join(self.img_prefix, path)
            if self.check_images:
                check_image(img_path, source)
            data_list.append(dict(img_path=img_path, gt_label=to_label[name]))
        counts = class_counts(samples, classes)
        MMLogger.get_current_instance().info(
            f'{type(self).__name__} {source}: {len(samples)} chips, '
            f'{counts}')
        return data_list

    def prepare_data(self, idx: int):
        """Run the pipeline; a failure names the image it was loading.

        The build-time check reads headers only; a file damaged after its
        header is caught here.
        """
        try:
            return super().prepare_data(idx)
        except Exception as err:
            path = self.get_data_info(idx)['img_path']
            raise RuntimeError(
                f'loading {path} failed ({type(err).__name__}: {err}); if '
                f'the file is damaged, re-extract or replace the file, or '
                f'delete it and rewrite the split files') from err


@DATASETS.register_module()
class MixedShipDataset(ShipChipDataset):
    """FUSAR-Ship and OpenSARShip merged into one 3-class set.

    ``tools/dataset_converters/ship_dataset_prep.py --mixed-out DIR`` writes
    ``DIR/splits/{train,test}.txt``: the union of both datasets' own train
    splits and the union of their test splits (so no test chip of either
    set is trained on), paths relative to ``DIR``. Use::

        dict(type='ifkd.MixedShipDataset', data_root='data/sar-ship-mixed/',
             ann_file='splits/train.txt', pipeline=...)

    An mmengine ``ConcatDataset`` of ``ifkd.FUSARShipDataset`` and
    ``ifkd.OpenSARShipDataset`` on their own split files holds the same
    chips; this class needs one data root and keeps ``get_gt_labels()``,
    which ``ifkd.InverseFrequencySampler`` reads.

    Args are those of :class:`ShipChipDataset`.
    """
