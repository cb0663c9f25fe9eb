"""Two-branch (optical + SAR) late-fusion scene classifier."""
from typing import Dict, List, Mapping, Optional, Union

import torch
from mmengine.model import BaseModule, ModuleDict
from mmpretrain.models.classifiers import BaseClassifier
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from ifkd.registry import MODELS
from ..fusion.modality_regulation import branch_confidence, log_contributions

Inputs = Union[Tensor, Mapping[str, Tensor]]


class Branch(BaseModule):
    """One modality's encoder: backbone, then a neck that pools it (a
    ``BaseModule``, so that ``init_weights`` reaches the backbone's
    ``init_cfg``, e.g. ImageNet weights)."""

    def __init__(self, backbone: dict, neck: dict) -> None:
        super().__init__()
        self.backbone = MMPRETRAIN_MODELS.build(backbone)
        self.neck = MMPRETRAIN_MODELS.build(neck)

    def forward(self, x: Tensor) -> Tensor:
        return self.neck(self.backbone(x))[-1]


@MODELS.register_module()
class TwoBranchClassifier(BaseClassifier):
    """Late fusion of per-modality encoders, e.g. cloudy optical + SAR.

    Each modality has its own backbone and neck and sees only its own
    channels; ``ifkd.LateFusionHead`` sums per-modality logits, kept in
    ``head.branch_logits`` (:meth:`branch_logits`). Inputs are either
    ``{modality: (B, C_m, H, W)}`` (``ifkd.MultiModalDataPreprocessor``) or
    one tensor whose channels are the modalities concatenated in the order
    of ``branches`` (``ifkd.CrossModalDistill`` with a tuple modality).

    In ``mode='loss'`` an optional ``regulation``
    (``ifkd.SampleModalityRegulation`` or ``ifkd.OGMGE``) scales each
    encoder's gradient from the branches' confidence on the sample's class:
    its ``pseudo_label`` when a distillation algorithm set one, else its
    ``gt_label``.

    Args:
        branches (dict): Modality -> ``dict(in_channels=C, backbone=...,
            neck=...)``, in input channel order.
        head (dict): The fusion head, ``ifkd.LateFusionHead``.
        regulation (dict, optional): Gradient regulation; None is 'none'.
        data_preprocessor (dict, optional): Usually
            ``ifkd.MultiModalDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 branches: Mapping[str, dict],
                 head: dict,
                 regulation: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg,
                         data_preprocessor=data_preprocessor)
        if len(branches) < 2:
            raise ValueError('TwoBranchClassifier needs two or more branches, '
                             f'got {list(branches)}')
        self.in_channels = {m: int(b['in_channels'])
                            for m, b in branches.items()}
        self.branches = ModuleDict({
            m: Branch(b['backbone'], b['neck']) for m, b in branches.items()
        })
        self.head = MODELS.build(head)
        self.regulation = MODELS.build(regulation) if regulation else None

    def split(self, inputs: Inputs) -> Dict[str, Tensor]:
        """``{modality: its channels}``; checks the channel counts."""
        if isinstance(inputs, Mapping):
            missing = set(self.branches) - set(inputs)
            if missing:
                raise KeyError(
                    f'TwoBranchClassifier: the batch has no {sorted(missing)}'
                    f' modality (got {sorted(inputs)}); load and pack every '
                    'modality of the model.')
            parts = {m: inputs[m] for m in self.branches}
        else:
            total = sum(self.in_channels.values())
            if inputs.shape[1] != total:
                raise ValueError(
                    f'TwoBranchClassifier: input has {inputs.shape[1]} '
                    f'channels but the branches take {self.in_channels} '
                    f'(= {total}); match s2_bands / the loaded modalities '
                    'to the branch in_channels.')
            parts = dict(zip(self.branches, inputs.split(
                list(self.in_channels.values()), dim=1)))
        for m, x in parts.items():
            if x.shape[1] != self.in_channels[m]:
                raise ValueError(
                    f'TwoBranchClassifier: modality {m!r} has {x.shape[1]} '
                    f'channels, its branch takes {self.in_channels[m]}.')
        return parts

    def extract_feat(self, inputs: Inputs) -> Dict[str, Tensor]:
        """Pooled features of each branch, each from its own channels."""
        return {m: self.branches[m](x) for m, x in self.split(inputs).items()}

    def branch_logits(self, inputs: Inputs) -> Dict[str, Tensor]:
        """Each modality's logits (the fused ones are their sum)."""
        self.head(self.extract_feat(inputs))
        return dict(self.head.branch_logits)

    def forward(self, inputs: Inputs,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs))
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')

    def loss(self, inputs: Inputs,
             data_samples: List[DataSample]) -> Dict[str, Tensor]:
        feats = self.extract_feat(inputs)
        cls_score = self.head(feats)
        target = self._regulation_target(data_samples)
        if self.regulation is not None:
            self.regulation.apply(self.head.branch_logits, target, feats,
                                  self.branches)
        else:  # 'none': contributions are still logged, for comparison
            conf = branch_confidence(self.head.branch_logits, target)
            log_contributions(conf, {m: torch.ones(()) for m in conf})
        return self.head._get_loss(cls_score, data_samples)

    @staticmethod
    def _regulation_target(data_samples: List[DataSample]) -> Tensor:
        key = 'pseudo_label' if 'pseudo_label' in data_samples[0] else (
            'gt_label')
        return torch.cat([s.get(key).view(-1) for s in data_samples])

    def predict(self, inputs: Inputs,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        return self.head.predict(self.extract_feat(inputs), data_samples)
