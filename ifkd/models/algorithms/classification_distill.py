from typing import Optional

import torch

from ifkd.registry import MODELS
from .detection_distill import DetectionDistill


@MODELS.register_module()
class ClassificationDistill(DetectionDistill):
    """Single-teacher distillation of an mmpretrain ``ImageClassifier``.

    The frozen teacher runs its backbone, neck and head forward only: its
    classification loss is never computed (``SingleTeacherDistill`` would).
    It stays in eval mode, BN included. Recorders read the teacher's
    ``backbone`` feature maps, ``head.fc`` logits or ``head.fc.weight``
    (a ``ParameterRecorder``, e.g. for a class-activation mask).

    Args:
        architecture (dict): The student, as a model dict or
            ``dict(cfg_path=..., cfg_options=...)`` naming its own config.
        teacher (dict): The teacher, in the same forms.
        teacher_ckpt (str, optional): The teacher's checkpoint file.
        teacher_head (str): ``'auto'`` or ``'head'`` runs the teacher's head
            (logit distillation needs it), ``'none'`` stops after the neck.
        **kwargs: See ``SingleTeacherDistill``.
    """

    def _resolve_head(self, name: str) -> Optional[str]:
        if name == 'none':
            return None
        if name not in ('auto', 'head'):
            raise ValueError(f"teacher_head={name!r}: a classifier's "
                             "teacher_head is 'auto', 'head' or 'none'.")
        return 'head'

    def _teacher_forward(self, batch_inputs: torch.Tensor) -> None:
        feats = self.teacher.extract_feat(batch_inputs)
        if self.teacher_head is not None:
            self.teacher.head(feats)
