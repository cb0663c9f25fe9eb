import os.path as osp
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from mmrazor.models.algorithms import SingleTeacherDistill
from mmrazor.models.utils import add_prefix

from ifkd.models.distillers.context import DistillContext
from ifkd.registry import MODELS
from .checks import check_compatible


def load_model_cfg(cfg: Union[dict, BaseModel]) -> Union[dict, BaseModel]:
    """Resolve ``dict(cfg_path=..., cfg_options=...)`` to the ``model`` of
    that config file, so a teacher is named by its own training config."""
    if not isinstance(cfg, dict) or 'cfg_path' not in cfg:
        return cfg
    path = cfg['cfg_path']
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Model config {path!r} (cfg_path) does not exist. Give a path '
            'relative to the working directory, or use "{{fileDirname}}/..." '
            'in the distillation config.')
    model_cfg = Config.fromfile(path)
    if cfg.get('cfg_options'):
        model_cfg.merge_from_dict(
            {f'model.{k}': v
             for k, v in cfg['cfg_options'].items()})
    return model_cfg.model


@MODELS.register_module()
class DetectionDistill(SingleTeacherDistill):
    """Single-teacher distillation of an mmdet detector.

    Unlike ``SingleTeacherDistill``, the frozen teacher runs only
    ``extract_feat`` and its dense head's forward (the RPN for two-stage
    detectors): its detection loss, box assignment and sampling are never
    computed. The teacher stays in eval mode, BN included.

    Args:
        architecture (dict): The student, as a model dict or
            ``dict(cfg_path=..., cfg_options=...)``.
        teacher (dict): The teacher, in the same forms.
        teacher_ckpt (str, optional): The teacher's checkpoint file.
        teacher_head (str): Which teacher head to run for head distillation:
            ``'auto'`` (``rpn_head`` if present, else ``bbox_head``),
            ``'bbox_head'``, ``'rpn_head'`` or ``'none'``.
        **kwargs: See ``SingleTeacherDistill``.
    """

    # Head distillation pairs the heads of one detector type.
    same_model_type = True

    def __init__(self,
                 architecture: Union[dict, BaseModel],
                 teacher: Union[dict, BaseModel],
                 teacher_ckpt: Optional[str] = None,
                 teacher_head: str = 'auto',
                 **kwargs) -> None:
        if teacher_ckpt and not osp.isfile(teacher_ckpt):
            raise FileNotFoundError(
                f'teacher_ckpt {teacher_ckpt!r} does not exist. Train the '
                'teacher first (tools/train.py TEACHER_CONFIG) and set '
                '`teacher_ckpt` to its checkpoint.')
        super().__init__(
            architecture=load_model_cfg(architecture),
            teacher=load_model_cfg(teacher),
            teacher_ckpt=teacher_ckpt,
            **kwargs)
        check_compatible(self.teacher, self.student,
                         same_type=self.same_model_type)
        self.teacher_head = self._resolve_head(teacher_head)
        if not self.teacher_trainable:
            self.teacher.eval()

    def _resolve_head(self, name: str) -> Optional[str]:
        if name == 'none':
            return None
        if name == 'auto':
            name = 'rpn_head' if getattr(self.teacher, 'rpn_head',
                                         None) is not None else 'bbox_head'
        if getattr(self.teacher, name, None) is None:
            raise ValueError(f'teacher_head={name!r}: the teacher '
                             f'{type(self.teacher).__name__} has no {name}.')
        return name

    def _teacher_forward(self, batch_inputs: torch.Tensor) -> None:
        feats = self.teacher.extract_feat(batch_inputs)
        if self.teacher_head is not None:
            getattr(self.teacher, self.teacher_head)(feats)

    def _split_inputs(self, batch_inputs) -> Tuple[Any, torch.Tensor]:
        """(teacher input, student input) of a batch: one and the same
        here; a cross-modal algorithm gives each its modality."""
        return batch_inputs, batch_inputs

    def _run_teacher(self, inputs, data_samples) -> Dict[str, torch.Tensor]:
        """Teacher forward under its recorders; returns its losses (none:
        the teacher's task loss is never computed here)."""
        if self.teacher_trainable:
            self._teacher_forward(inputs)
        else:
            with torch.no_grad():
                self._teacher_forward(inputs)
        return {}

    def _context(self, batch_inputs, data_samples) -> DistillContext:
        return DistillContext.from_preprocessor(batch_inputs, data_samples,
                                                self.data_preprocessor)

    def loss(self,
             batch_inputs: torch.Tensor,
             data_samples: Optional[List[BaseDataElement]] = None
             ) -> Dict[str, torch.Tensor]:
        losses = dict()
        teacher_inputs, student_inputs = self._split_inputs(batch_inputs)
        self.distiller.set_deliveries_override(False)
        with self.distiller.teacher_recorders, self.distiller.deliveries:
            teacher_losses = self._run_teacher(teacher_inputs, data_samples)
        losses.update(add_prefix(teacher_losses, 'teacher'))

        self.distiller.set_deliveries_override(True)
        with self.distiller.student_recorders, self.distiller.deliveries:
            student_losses = self.student(
                student_inputs, data_samples, mode='loss')
        if self.calculate_student_loss:
            losses.update(add_prefix(student_losses, 'student'))

        if not self.distillation_stopped:
            if hasattr(self.distiller, 'set_context'):
                self.distiller.set_context(
                    self._context(batch_inputs, data_samples))
            distill_losses = self.distiller.compute_distill_losses()
            losses.update(add_prefix(distill_losses, 'distill'))
            if hasattr(self.distiller, 'set_context'):
                self.distiller.set_context(None)
        return losses

    def train(self, mode: bool = True) -> 'DetectionDistill':
        super().train(mode)
        if not self.teacher_trainable:
            self.teacher.eval()
        return self
