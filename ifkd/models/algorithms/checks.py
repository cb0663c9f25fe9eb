"""Early, explicit checks that a teacher and a student can be distilled."""
from typing import Optional

from torch import nn


def num_classes_of(detector: nn.Module) -> Optional[int]:
    """The number of object classes a built mmdet detector predicts."""
    roi_head = getattr(detector, 'roi_head', None)
    if roi_head is not None and hasattr(roi_head, 'bbox_head'):
        return roi_head.bbox_head.num_classes
    bbox_head = getattr(detector, 'bbox_head', None)
    if bbox_head is None:  # an mmpretrain classifier
        bbox_head = getattr(detector, 'head', None)
    return getattr(bbox_head, 'num_classes', None)


def check_compatible(teacher: nn.Module, student: nn.Module,
                     same_type: bool = True) -> None:
    """Fail early when teacher and student cannot be distilled together
    (``same_type``: they must also be the same model class)."""
    n_t, n_s = num_classes_of(teacher), num_classes_of(student)
    if n_t is not None and n_s is not None and n_t != n_s:
        raise ValueError(
            f'num_classes mismatch: the teacher predicts {n_t} classes but '
            f'the student {n_s}. Both must match the dataset; train the '
            'teacher on the same classes or fix num_classes in the '
            'student/teacher config.')
    if same_type and type(teacher) is not type(student):
        raise ValueError(
            f'The teacher is a {type(teacher).__name__} but the student a '
            f'{type(student).__name__}; IFKD distills heads of the same '
            'detector type.')
