"""Let a ``CocoDataset`` read a VOC split file instead of a COCO json."""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmdet.datasets.api_wrappers import COCO

from .voc_parsing import NameGetter, voc_split_to_coco


def is_voc_split(ann_file: str) -> bool:
    """Whether ``ann_file`` is a VOC split (``.txt``) rather than a json.

    Raises:
        ValueError: If it is neither a ``.txt`` nor a ``.json`` file.
    """
    ext = osp.splitext(ann_file)[1].lower()
    if ext not in ('.txt', '.json'):
        raise ValueError(
            f'ann_file must be a COCO .json or a VOC split .txt (e.g. '
            f'ImageSets/Main/train.txt), got {ann_file!r}.')
    return ext == '.txt'


def build_coco_api(split_file: str,
                   classes: Sequence[str],
                   name_getter: Optional[NameGetter] = None) -> COCO:
    """Convert a VOC split in memory and wrap it in mmdet's COCO API."""
    coco = COCO()
    coco.dataset = voc_split_to_coco(split_file, classes, name_getter)
    coco.createIndex()
    # mmdet's snake-case aliases were bound to the empty index in __init__.
    coco.img_ann_map = coco.imgToAnns
    coco.cat_img_map = coco.catToImgs
    return coco


class VOCSplitCocoMixin:
    """Mixin for ``CocoDataset`` subclasses: ``ann_file`` may be a VOC split.

    With a ``.json`` ``ann_file`` nothing changes. With a ``.txt`` split the
    VOC XML files next to it are converted to COCO in memory (nothing is
    written, so the data root may be read-only) and the rest of
    ``CocoDataset.load_data_list`` (and thus ``filter_cfg``) runs unchanged.
    ``data_prefix`` defaults to ``dict(img='JPEGImages/')``.

    Subclasses may override ``voc_default_classes()`` and
    ``voc_name_getter()``. The vocabulary used is stored in the metainfo as
    ``voc_classes`` so that ``VOCCocoMetric`` parses the same split with the
    same names.
    """

    def __init__(self,
                 *args,
                 data_prefix: Optional[dict] = None,
                 **kwargs) -> None:
        # Both VOC-layout datasets keep their images in JPEGImages/.
        super().__init__(
            *args,
            data_prefix=data_prefix or dict(img='JPEGImages/'),
            **kwargs)

    def voc_default_classes(self) -> Tuple[str, ...]:
        """The dataset's full class list."""
        return tuple(self.METAINFO['classes'])

    def voc_vocabulary(self) -> Tuple[str, ...]:
        """Names allowed in the XML files: the default classes plus any
        extra ones given in ``metainfo``, so that ``metainfo`` may select a
        subset (objects of other known classes are dropped by
        ``CocoDataset``) or add new names."""
        default = self.voc_default_classes()
        extra = [c for c in self.metainfo['classes'] if c not in default]
        return default + tuple(extra)

    def voc_name_getter(self) -> Optional[NameGetter]:
        """How to read an object's class; ``None`` reads ``<name>``."""
        return None

    def load_data_list(self) -> List[dict]:
        if not is_voc_split(self.ann_file):
            return super().load_data_list()
        vocabulary = self.voc_vocabulary()
        coco = build_coco_api(self.ann_file, vocabulary,
                              self.voc_name_getter())
        self._metainfo['voc_classes'] = vocabulary
        # CocoDataset builds its API as ``self.COCOAPI(local_path)``; hand it
        # the in-memory one so its loading and filtering code stays in use.
        self.COCOAPI = lambda *args, **kwargs: coco
        try:
            return super().load_data_list()
        finally:
            del self.COCOAPI
