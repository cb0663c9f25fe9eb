import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from torch import Tensor

from ifkd.registry import MODELS
from ..utils.sam_inputs import SAM_IMG_SIZE, embed_valid_hw


def level_valid_hw(img_shapes: Sequence[Tuple[int, int]],
                   batch_input_shape: Tuple[int, int],
                   feat_hw: Tuple[int, int]) -> List[Tuple[int, int]]:
    """Valid (h, w) of each image on a feature level.

    The level's stride is ``batch_input_shape / feat_hw``; an image of valid
    size (h, w) covers ``ceil(h / stride)`` rows (capped at the level size).
    """
    (pad_h, pad_w), (feat_h, feat_w) = batch_input_shape, feat_hw
    stride_h, stride_w = pad_h / feat_h, pad_w / feat_w
    # The tolerance absorbs float error in h / (pad_h / feat_h).
    return [(min(math.ceil(h / stride_h - 1e-6), feat_h),
             min(math.ceil(w / stride_w - 1e-6), feat_w))
            for h, w in img_shapes]


@MODELS.register_module()
class EDEConnector(BaseConnector):
    """External disturbance enhancement (EDE) of `Information Fusion with
    Knowledge Distillation for Fine-grained Remote Sensing Object Detection.

    <https://doi.org/10.1145/3664647.3681684>`_ (IFKD, Eq. 1-2).

    Adds ``weight * Resize(sigmoid(MobileSAM(x)))`` to one teacher FPN level.
    MobileSAM and the sigmoid stay out of the connector: the algorithm runs
    them once per batch (``MobileSAMEncoder``, ``run_sam``) and passes the
    probabilities to every level.
    SAM's output is cropped to the image's valid region, resized onto the
    level's valid region (detector padding is bottom/right) and is zero in
    the level's padding.

    Args:
        in_channels (int): Channels of the FPN level. Defaults to 256.
        embed_channels (int): Channels of SAM's image embedding. Defaults to
            256. If it differs from ``in_channels`` a 1x1 conv adapts it
            (source 'embedding' only). Note that such a conv, trained through
            a loss on the teacher side, can move the target towards the
            student; keep the two equal (FPN and SAM both use 256) when
            possible.
        weight (float): Scale of the perturbation. Defaults to 1.0.
        source (str): 'embedding' for the (B, 256, 64, 64) image embedding,
            'mask' for the prompt-free (B, 1, 256, 256) mask logits, which are
            broadcast over channels. Defaults to 'embedding'.
        init_cfg (dict, optional): The config to control the initialization.
    """

    def __init__(self,
                 in_channels: int = 256,
                 embed_channels: int = 256,
                 weight: float = 1.0,
                 source: str = 'embedding',
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        assert source in ('embedding', 'mask'), f'unknown source {source!r}'
        self.source = source
        self.weight = weight
        self.in_channels = in_channels
        self.sam_channels = embed_channels if source == 'embedding' else 1
        self.adapter = None
        if source == 'embedding' and embed_channels != in_channels:
            self.adapter = nn.Conv2d(embed_channels, in_channels, 1)

    def forward(self, feature: Tensor, context=None, **kwargs) -> Tensor:
        """Perturb ``feature``; see :meth:`forward_train`.

        Inside :class:`IFKDDistiller` the SAM output and the batch geometry
        come from the step's ``context`` (MobileSAM runs once per batch);
        arguments given explicitly take precedence over the context's.
        """
        if context is not None:
            found = dict(
                img_shapes=context.img_shapes,
                batch_input_shape=context.batch_input_shape)
            if 'sam_prob' not in kwargs:
                found['sam_prob'], found['sam_valid_hw'] = context.sam_prob(
                    self.source)
            kwargs = {**found, **kwargs}
        return self.forward_train(feature, **kwargs)

    def perturbation(self, sam_prob: Tensor,
                     sam_valid_hw: Sequence[Tuple[int, int]],
                     img_shapes: Sequence[Tuple[int, int]],
                     batch_input_shape: Tuple[int, int],
                     feat_hw: Tuple[int, int]) -> Tensor:
        """``Resize(sam_prob)`` on the level, zero in its padding.

        Returns:
            Tensor: fp32 (B, C', H, W), C' = 1 for the mask source.
        """
        assert sam_prob.shape[1] == self.sam_channels, \
            f'{self.source} source expects {self.sam_channels} channels, ' \
            f'got {sam_prob.shape[1]}'
        sam_hw = embed_valid_hw(sam_valid_hw, sam_prob.shape[-1],
                                SAM_IMG_SIZE)
        feat_valid = level_valid_hw(img_shapes, batch_input_shape, feat_hw)
        pert = sam_prob.new_zeros(
            (sam_prob.shape[0], sam_prob.shape[1], *feat_hw),
            dtype=torch.float)
        for i, ((sh, sw), (fh, fw)) in enumerate(zip(sam_hw, feat_valid)):
            prob = sam_prob[i:i + 1, :, :sh, :sw].float()
            pert[i, :, :fh, :fw] = F.interpolate(
                prob, size=(fh, fw), mode='bilinear', align_corners=False)[0]
        if self.adapter is not None:
            # The conv's bias would leak into the padding: mask it again.
            valid = pert.new_zeros((pert.shape[0], 1, *feat_hw))
            for i, (fh, fw) in enumerate(feat_valid):
                valid[i, :, :fh, :fw] = 1
            pert = self.adapter(pert) * valid
        return pert

    def forward_train(self, feature: Tensor, sam_prob: Tensor,
                      sam_valid_hw: Sequence[Tuple[int, int]],
                      img_shapes: Sequence[Tuple[int, int]],
                      batch_input_shape: Tuple[int, int]) -> Tensor:
        """Perturb one teacher level with SAM's knowledge (Eq. 1).

        Args:
            feature (Tensor): Teacher feature (B, C, H, W).
            sam_prob (Tensor): ``sigmoid`` of ``MobileSAMEncoder.embed``
                (B, 256, 64, 64) or ``mask_logits`` (B, 1, 256, 256),
                matching ``source``.
            sam_valid_hw (Sequence[tuple[int, int]]): Valid (h, w) of each
                image in SAM's 1024 x 1024 input (from ``to_sam_inputs``).
            img_shapes (Sequence[tuple[int, int]]): Valid (h, w) of each image
                in the detector's padded batch.
            batch_input_shape (tuple[int, int]): Padded (H, W) of the batch.

        Returns:
            Tensor: ``feature + weight * perturbation``, dtype of ``feature``.
        """
        if feature.shape[1] != self.in_channels:
            raise ValueError(
                f'EDEConnector(in_channels={self.in_channels}) got a '
                f'{feature.shape[1]}-channel teacher feature: set in_channels '
                "to the teacher neck's out_channels.")
        pert = self.perturbation(sam_prob, sam_valid_hw, img_shapes,
                                 batch_input_shape, tuple(feature.shape[-2:]))
        return feature + (self.weight * pert).to(feature.dtype)
