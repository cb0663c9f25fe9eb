"""Several single-modality teachers distilled into one multi-modal student."""
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from torch import Tensor, nn

from ifkd.engine.export import STUDENT_PREFIX, export_student
from ifkd.registry import MODELS
from .checks import num_classes_of
from .cross_modal_distill import CrossModalDistill
from .detection_distill import load_model_cfg


def _student_state(ckpt: str) -> dict:
    """Weights of a plain checkpoint, or of the student of a distillation
    checkpoint (a step-1 run), renamed as ``export_student`` does."""
    state = _load_checkpoint(ckpt, map_location='cpu')
    state = state.get('state_dict', state)
    if any(k.startswith(STUDENT_PREFIX) for k in state):
        return export_student(ckpt)['state_dict']
    return state


class ProbabilityMixer(nn.Module):
    """``log(mean_m softmax(z_m))``: the teachers' averaged class
    distribution, as logits (recordable as the mixture's output)."""

    def forward(self, logits: Sequence[Tensor]) -> Tensor:
        probs = torch.stack([z.softmax(1) for z in logits]).mean(0)
        return probs.clamp_min(1e-12).log()


class TeacherEnsemble(BaseModel):
    """Frozen classifiers, each on its own modality of a batch.

    ``forward(mode='tensor')`` takes ``{modality: images}`` and returns the
    mixture logits (:class:`ProbabilityMixer`); each member's own logits
    are recordable at ``members.<modality>.head.fc``.

    Args:
        members (dict): Modality -> ``dict(model=<model dict or
            dict(cfg_path=...)>, ckpt=<checkpoint file>)``.
    """

    def __init__(self, members: Mapping[str, dict]) -> None:
        super().__init__()
        self.members = nn.ModuleDict()
        for name, spec in members.items():
            ckpt = spec.get('ckpt')
            if not ckpt or not osp.isfile(ckpt):
                raise FileNotFoundError(
                    f'teacher {name!r}: checkpoint {ckpt!r} does not exist. '
                    'Train that step-1 model first and set its ckpt.')
            model = MMPRETRAIN_MODELS.build(load_model_cfg(spec['model']))
            load_state_dict(model, _student_state(ckpt), strict=True)
            self.members[name] = model
        counts = {n: num_classes_of(m) for n, m in self.members.items()}
        if len(set(counts.values())) > 1:
            raise ValueError(f'the teachers predict different numbers of '
                             f'classes {counts}; train them on one dataset.')
        self.mixer = ProbabilityMixer()
        self._is_init = True  # the checkpoints are the weights

    def forward(self, inputs: Mapping[str, Tensor], data_samples=None,
                mode: str = 'tensor') -> Tensor:
        if mode != 'tensor':
            raise ValueError('a TeacherEnsemble only runs mode="tensor" '
                             '(it is never trained).')
        return self.mixer([
            member(inputs[name], None, mode='tensor')
            for name, member in self.members.items()
        ])


@MODELS.register_module()
class MultiTeacherCrossModalDistill(CrossModalDistill):
    """``CrossModalDistill`` with one frozen teacher per modality, e.g. the
    optical and the SAR auxiliary teaching a two-branch optical + SAR
    target (step 2 of the cloudy-scene transfer).

    The teachers form a :class:`TeacherEnsemble`; recorders read
    ``members.<modality>.head.fc`` (each teacher) and ``mixer`` (their
    averaged distribution). Before the student's forward each data sample
    gets ``pseudo_label``, the mixture's argmax, which the student's
    modality regulation uses as the sample's class (the target domain has
    no labels).

    Args:
        architecture (dict): The student.
        teachers (dict): Modality -> ``dict(model=..., ckpt=...)``.
        student_modality (str | Sequence[str]): The student's modalities.
        preprocessors (dict, optional): Modality -> data preprocessor.
        **kwargs: See ``CrossModalDistill`` (distiller, ...).
    """

    def __init__(self,
                 architecture: Union[dict, BaseModel],
                 teachers: Mapping[str, dict],
                 student_modality: Union[str, Sequence[str]],
                 preprocessors: Optional[Dict[str, dict]] = None,
                 **kwargs) -> None:
        if kwargs.get('teacher_trainable'):
            raise ValueError('MultiTeacherCrossModalDistill trains no '
                             'teacher; drop teacher_trainable.')
        super().__init__(
            architecture=architecture,
            teacher=TeacherEnsemble(teachers),
            teacher_modality=tuple(teachers),
            student_modality=student_modality,
            preprocessors=preprocessors,
            **kwargs)
        self._mixture: Optional[Tensor] = None

    def _split_inputs(self, batch_inputs) -> Tuple[Dict[str, Tensor], Tensor]:
        teacher = {
            name: self._select(batch_inputs, (name, ), 'teacher')
            for name in self.teacher_modality
        }
        return teacher, self._select(batch_inputs, self.student_modality,
                                     'student')

    def _teacher_forward(self, inputs: Dict[str, Tensor]) -> None:
        self._mixture = self.teacher(inputs, None, mode='tensor')

    def _run_teacher(self, inputs, data_samples: List) -> Dict[str, Tensor]:
        losses = super()._run_teacher(inputs, data_samples)
        for sample, label in zip(data_samples, self._mixture.argmax(1)):
            sample.set_field(label.view(1), 'pseudo_label')
        return losses
