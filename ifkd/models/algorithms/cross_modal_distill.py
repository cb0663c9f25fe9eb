from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor

from ifkd.models.data_preprocessors import MultiModalDataPreprocessor
from ifkd.models.distillers.context import DistillContext
from ifkd.registry import MODELS
from .detection_distill import DetectionDistill

Modality = Union[str, Sequence[str]]


def _names(modality: Modality) -> Tuple[str, ...]:
    return (modality, ) if isinstance(modality, str) else tuple(modality)


@MODELS.register_module()
class CrossModalDistill(DetectionDistill):
    """Distillation between sensors: the frozen teacher sees modality A
    (e.g. EO), the student modality B (e.g. SAR) of the same objects.

    mmrazor's ``SingleTeacherDistill`` feeds both models one input, and its
    validation loop evaluates the teacher on the student's batch
    (mmrazor#67). Here a batch's ``inputs`` are ``{modality: images}``
    (``ifkd.PackMultiModalInputs``), preprocessed per modality by
    ``ifkd.MultiModalDataPreprocessor``; the teacher gets A, the student B,
    and validation / test / ``predict`` run the student alone on B.

    Args:
        architecture (dict): The student, as a model dict or
            ``dict(cfg_path=..., cfg_options=...)``.
        teacher (dict): The teacher, in the same forms.
        teacher_modality (str | Sequence[str]): Modality the teacher sees;
            several names are concatenated along channels, in order.
        student_modality (str | Sequence[str]): Modality the student sees,
            in the same form (e.g. ``('s2', 's1')`` for a two-branch model).
        teacher_ckpt (str, optional): The teacher's checkpoint file.
        teacher_head (str): ``'auto'`` or ``'head'`` runs the teacher's
            ``mode='tensor'`` forward (backbone, neck and head / decode
            head); ``'none'`` only its ``extract_feat``.
        preprocessors (dict, optional): Modality name -> data preprocessor
            config. A single-name modality defaults to its model's own
            ``data_preprocessor`` (the student's where both see the same
            modality); names of a multi-name one must be given. Batch
            augmentation (mixup, ...) belongs in the student's only: the
            teacher's view would not be mixed alike.
        teacher_trainable (bool): Train the teacher jointly: it runs
            ``mode='loss'`` on A and its losses are added as ``teacher.*``.
        **kwargs: See ``SingleTeacherDistill``.
    """

    same_model_type = False

    def __init__(self,
                 architecture: Union[dict, BaseModel],
                 teacher: Union[dict, BaseModel],
                 teacher_modality: Modality,
                 student_modality: Modality,
                 teacher_ckpt: Optional[str] = None,
                 teacher_head: str = 'auto',
                 preprocessors: Optional[Dict[str, dict]] = None,
                 **kwargs) -> None:
        self.teacher_modality = _names(teacher_modality)
        self.student_modality = _names(student_modality)
        kwargs.pop('data_preprocessor', None)
        super().__init__(
            architecture=architecture,
            teacher=teacher,
            teacher_ckpt=teacher_ckpt,
            teacher_head=teacher_head,
            **kwargs)
        # Sensors that neither model sees (a pipeline shared between
        # steps) are dropped before preprocessing.
        self.data_preprocessor = MultiModalDataPreprocessor(
            self._preprocessors(preprocessors or {}),
            label_modality=self.student_modality[0],
            drop_unknown=True)

    def _preprocessors(self, given: Dict[str, dict]) -> Dict[str, Any]:
        """Given configs, else each single-modality model's own (built)
        data preprocessor."""
        found: Dict[str, Any] = dict(given)
        for names, model in ((self.student_modality, self.student),
                             (self.teacher_modality, self.teacher)):
            if len(names) == 1 and names[0] not in found:
                found[names[0]] = model.data_preprocessor
            missing = [n for n in names if n not in found]
            if missing:
                raise ValueError(
                    f'No data preprocessor for modalities {missing}: a '
                    'model that sees several modalities needs '
                    '`preprocessors=dict(name=dict(type=..., mean=..., '
                    'std=...), ...)` in the CrossModalDistill config.')
        return found

    def _resolve_head(self, name: str) -> Optional[str]:
        if name not in ('auto', 'head', 'none'):
            raise ValueError(f"teacher_head={name!r}: CrossModalDistill's "
                             "teacher_head is 'auto', 'head' or 'none'.")
        return None if name == 'none' else 'head'

    def _select(self, inputs, names: Tuple[str, ...], role: str) -> Tensor:
        """The channel-wise concatenation of ``names`` from a batch."""
        if not isinstance(inputs, dict):
            raise TypeError(
                'CrossModalDistill needs inputs={modality: images}: pack '
                'the pipeline with ifkd.PackMultiModalInputs and use '
                'ifkd.MultiModalDataPreprocessor.')
        missing = [n for n in names if n not in inputs]
        if missing:
            raise KeyError(
                f'The {role} sees modalities {list(names)} but the batch has '
                f'no {missing} (it has {sorted(inputs)}): the modality '
                'partner is missing; load it in the pipeline and name it in '
                'PackMultiModalInputs(modalities=...).')
        parts = [inputs[n] for n in names]
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)

    def _split_inputs(self, batch_inputs) -> Tuple[Tensor, Tensor]:
        return (self._select(batch_inputs, self.teacher_modality, 'teacher'),
                self._select(batch_inputs, self.student_modality, 'student'))

    def _teacher_forward(self, inputs: Tensor) -> None:
        if self.teacher_head is None:
            self.teacher.extract_feat(inputs)
        else:
            self.teacher(inputs, None, mode='tensor')

    def _run_teacher(self, inputs: Tensor,
                     data_samples) -> Dict[str, Tensor]:
        if self.teacher_trainable:
            return self.teacher(inputs, data_samples, mode='loss')
        return super()._run_teacher(inputs, data_samples)

    def _context(self, batch_inputs, data_samples) -> DistillContext:
        """The teacher's view: EDE perturbs the teacher with MobileSAM's
        reading of the image the teacher saw."""
        inputs = self._select(batch_inputs, self.teacher_modality, 'teacher')
        mean, std = [], []
        for name in self.teacher_modality:
            pre = self.data_preprocessor.preprocessors[name]
            channels = batch_inputs[name].shape[1]
            for stat, default, out in ((getattr(pre, 'mean', None), 0., mean),
                                       (getattr(pre, 'std', None), 1., std)):
                out += (stat.flatten().tolist() if stat is not None else
                        [default] * channels)
        return DistillContext(inputs, data_samples, mean=mean, std=std)

    def _forward(self, inputs, data_samples=None):
        return self.student(
            self._select(inputs, self.student_modality, 'student'),
            data_samples, mode='tensor')

    def _predict(self, inputs, data_samples: Optional[
            List[BaseDataElement]] = None):
        return self.student(
            self._select(inputs, self.student_modality, 'student'),
            data_samples, mode='predict')
