"""One data preprocessor per modality of a co-registered batch."""
import copy
from typing import Dict, Mapping, Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor
from torch import nn

from ifkd.registry import MODELS


def _channels(preprocessor: nn.Module) -> Optional[int]:
    """Channels a normalising preprocessor expects (None if any)."""
    mean = getattr(preprocessor, 'mean', None)
    if isinstance(mean, torch.Tensor) and mean.dim() == 3:
        return mean.shape[0]
    return None


def _channels_of(inputs: Union[torch.Tensor, Sequence[torch.Tensor]]) -> int:
    return inputs.shape[1] if isinstance(inputs, torch.Tensor) \
        else inputs[0].shape[0]


@MODELS.register_module()
class MultiModalDataPreprocessor(BaseDataPreprocessor):
    """Preprocess a batch whose ``inputs`` are ``{modality: images}``.

    Each modality goes through its own ordinary preprocessor (e.g. an
    ``mmpretrain.ClsDataPreprocessor`` with that sensor's channel count,
    mean and std); the data samples go through the label modality's. A batch
    whose ``inputs`` are a plain list or tensor (a single-modality pipeline,
    such as the student's own test config) is taken as the label modality.

    Args:
        preprocessors (dict): Modality name -> preprocessor config or module.
        label_modality (str): The modality whose preprocessor formats the
            data samples (labels, batch augmentation); the student's.
        drop_unknown (bool): Drop modalities without a preprocessor (a
            shared pipeline may load sensors this model never uses) instead
            of failing. Defaults to False.
    """

    def __init__(self,
                 preprocessors: Mapping[str, Union[dict, nn.Module]],
                 label_modality: str,
                 drop_unknown: bool = False) -> None:
        super().__init__()
        if label_modality not in preprocessors:
            raise ValueError(
                f'label_modality {label_modality!r} has no preprocessor; '
                f'the preprocessors are for {sorted(preprocessors)}.')
        self.preprocessors = nn.ModuleDict({
            name: p if isinstance(p, nn.Module) else MODELS.build(p)
            for name, p in preprocessors.items()
        })
        self.label_modality = label_modality
        self.drop_unknown = drop_unknown

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if not isinstance(inputs, Mapping):
            inputs = {self.label_modality: inputs}
        unknown = set(inputs) - set(self.preprocessors)
        if unknown and self.drop_unknown:
            inputs = {k: v for k, v in inputs.items() if k not in unknown}
        elif unknown:
            raise KeyError(
                f'The batch has modalities {sorted(unknown)} that no '
                f'preprocessor handles (known: {sorted(self.preprocessors)}); '
                'add them to `preprocessors` or drop them from '
                'PackMultiModalInputs.')
        out: Dict[str, torch.Tensor] = {}
        samples = data.get('data_samples')
        kept = samples
        for name, images in inputs.items():
            self._check_channels(name, images)
            own = name == self.label_modality
            # Other modalities get a copy (mmseg's preprocessor needs the
            # samples to pad in training, and may edit them in place); only
            # the label modality's formatted samples are kept.
            result = self.preprocessors[name](
                dict(inputs=images,
                     data_samples=samples if own or samples is None else
                     copy.deepcopy(samples)), training)
            out[name] = result['inputs']
            if own:
                kept = result.get('data_samples', samples)
        return dict(inputs=out, data_samples=kept)

    def _check_channels(self, name: str, images) -> None:
        want = _channels(self.preprocessors[name])
        have = _channels_of(images)
        if want is not None and want != have:
            raise ValueError(
                f'Modality {name!r} has {have} channels but its '
                f'preprocessor normalises {want} (mean/std of length {want}):'
                ' fix the loading pipeline or the mean/std of that modality.')
