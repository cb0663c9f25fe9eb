"""Export the student of a distillation checkpoint as a plain detector (or
mmpretrain classifier) checkpoint that stock ``tools/test.py`` evaluates
with the student config."""
from collections import OrderedDict
from typing import Optional

import torch
from mmengine.runner.checkpoint import _load_checkpoint

STUDENT_PREFIX = 'architecture.'


def export_student(src: str, dst: Optional[str] = None) -> dict:
    """Keep only the student's weights (``architecture.*``), renamed to the
    detector's own keys, plus ``meta`` (classes, mmengine/ifkd versions).

    Args:
        src (str): A checkpoint saved while training a distillation config.
        dst (str, optional): Where to save the exported checkpoint.

    Returns:
        dict: The exported checkpoint.
    """
    ckpt = _load_checkpoint(src, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    student = OrderedDict((k[len(STUDENT_PREFIX):], v)
                          for k, v in state.items()
                          if k.startswith(STUDENT_PREFIX))
    if not student:
        raise ValueError(
            f'{src} holds no student weights (no "{STUDENT_PREFIX}*" keys): '
            'is it a distillation checkpoint? A plain detector checkpoint '
            'needs no export.')
    meta = dict(ckpt.get('meta', {}))
    meta['exported_from'] = src
    out = dict(state_dict=student, meta=meta)
    if dst is not None:
        torch.save(out, dst)
    return out
