"""Test-time augmentation of a classifier, keeping each view's logits and
the pooled feature (for energy scores and cluster voting).

Built on mmpretrain's ``AverageClsScoreTTA`` (the softmax outputs of the
views are averaged) and mmcv's ``TestTimeAug`` transform (the views are the
product of the scale, flip and rotation choices).
"""
import copy
from typing import List, Optional, Sequence

import torch
from mmengine.model import BaseModel
from mmpretrain.models.tta import AverageClsScoreTTA
from mmpretrain.structures import DataSample
from torch import nn

from ifkd.registry import MODELS

META_KEYS = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'img_id')


def tta_pipeline(test_pipeline: Sequence[dict],
                 flip: bool = True,
                 rot90: bool = True,
                 scales: Sequence[float] = (1.0, )) -> List[dict]:
    """A config's test pipeline with its final ``PackInputs`` replaced by
    ``TestTimeAug`` over ``scales`` x {no flip, horizontal flip} x {0, 90,
    180, 270 degrees}. View 0 is always the plain chip (scale 1, no flip,
    no rotation).

    Args:
        test_pipeline (Sequence[dict]): Ends with a ``PackInputs``.
        flip (bool): Add the horizontally flipped views.
        rot90 (bool): Add the rotated views.
        scales (Sequence[float]): Resize factors; 1.0 must be among them.
    """
    pipeline = copy.deepcopy(list(test_pipeline))
    if not pipeline or not str(pipeline[-1].get('type', '')).endswith(
            'PackInputs'):
        raise ValueError('the test pipeline must end with PackInputs to add '
                         f'test-time views; it ends with {pipeline[-1:]}.')
    if 1.0 not in scales:
        raise ValueError(f'scales {tuple(scales)} must include 1.0 (the '
                         'plain view).')
    pack = dict(pipeline.pop(), meta_keys=META_KEYS)
    choices = []
    if tuple(scales) != (1.0, ):
        ordered = [1.0] + [s for s in scales if s != 1.0]
        choices.append([
            dict(type='Resize', scale_factor=s, keep_ratio=True)
            for s in ordered
        ])
    if flip:
        choices.append([
            dict(type='RandomFlip', prob=0.),
            dict(type='RandomFlip', prob=1., direction='horizontal')
        ])
    if rot90:
        choices.append([dict(type='ifkd.RandomRot90', prob=0.)] + [
            dict(type='ifkd.RandomRot90', prob=1., angles=(a, ))
            for a in (90, 180, 270)
        ])
    choices.append([pack])
    return pipeline + [dict(type='TestTimeAug', transforms=choices)]


class ViewPredictor(nn.Module):
    """One view of a batch through an mmpretrain classifier: each data
    sample gets ``logits``, ``feature`` (the head's input after
    ``pre_logits``, e.g. the pooled feature) and the softmax
    ``pred_score``."""

    def __init__(self, classifier: BaseModel) -> None:
        super().__init__()
        self.classifier = classifier

    @torch.no_grad()
    def test_step(self, data: dict) -> List[DataSample]:
        model = self.classifier
        data = model.data_preprocessor(data, False)
        feats = model.extract_feat(data['inputs'])
        logits = model.head(feats)
        embed = model.head.pre_logits(feats)
        samples = data['data_samples']
        for sample, logit, feature in zip(samples, logits, embed):
            sample.set_field(logit, 'logits')
            sample.set_field(feature.flatten(), 'feature')
            sample.set_pred_score(logit.softmax(-1))
        return samples


@MODELS.register_module()
class LogitFeatureTTA(AverageClsScoreTTA):
    """``AverageClsScoreTTA`` that also keeps every view's logits
    (``view_logits``, (V, C), view 0 the plain chip) and the view-averaged
    feature (``feature``) of each chip.

    Args:
        module (dict | BaseModel): The mmpretrain classifier.
        data_preprocessor (dict, optional): See ``BaseTTAModel``.
    """

    def __init__(self, module, data_preprocessor: Optional[dict] = None):
        super().__init__(module=module, data_preprocessor=data_preprocessor)
        self.module = ViewPredictor(self.module)

    def _merge_single_sample(self, data_samples):
        merged = super()._merge_single_sample(data_samples)
        merged.set_field(torch.stack([s.logits for s in data_samples]),
                         'view_logits')
        merged.set_field(
            torch.stack([s.feature for s in data_samples]).mean(0),
            'feature')
        return merged
