"""Ground-truth-box masks for the detection KD baselines (FGD, ARSD,
InsDist). Each connector takes one FPN level's feature and the step's
:class:`~ifkd.models.distillers.context.DistillContext`, and maps the GT boxes
of every image (in batch-input pixels) onto that level's grid."""
import math
from typing import Dict, List, Optional, Tuple

import torch
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from torch import Tensor

from ifkd.registry import MODELS


def gt_bboxes(context) -> List[Tensor]:
    """The (n_i, 4) xyxy GT boxes of each image, in batch-input pixels."""
    out = []
    for sample in context.data_samples:
        boxes = sample.gt_instances.bboxes
        boxes = getattr(boxes, 'tensor', boxes)  # HorizontalBoxes or Tensor
        out.append(boxes.detach().float().reshape(-1, 4))
    return out


def boxes_to_cells(boxes: Tensor, feat_hw: Tuple[int, int],
                   input_hw: Tuple[int, int]) -> Tensor:
    """The grid cells a box touches on an (H, W) level, as (n, 4) long
    ``x0, y0, x1, y1`` with exclusive ends and at least one cell.

    The level covers the whole padded batch input, so its stride is
    ``input / feature`` per axis (not each image's own ``img_shape``).
    """
    h, w = feat_hw
    sx, sy = w / input_hw[1], h / input_hw[0]
    x0 = (boxes[:, 0] * sx).floor().clamp(0, w - 1)
    y0 = (boxes[:, 1] * sy).floor().clamp(0, h - 1)
    x1 = torch.maximum((boxes[:, 2] * sx).ceil().clamp(max=w), x0 + 1)
    y1 = torch.maximum((boxes[:, 3] * sy).ceil().clamp(max=h), y0 + 1)
    return torch.stack([x0, y0, x1, y1], dim=1).long()


def cell_masks(cells: Tensor, feat_hw: Tuple[int, int]) -> Tensor:
    """(n, H, W) bool: the cells of each of ``n`` boxes (from
    :func:`boxes_to_cells`), built on the device without a sync per box."""
    h, w = feat_hw
    ys = torch.arange(h, device=cells.device)[None, :, None]
    xs = torch.arange(w, device=cells.device)[None, None, :]
    x0, y0, x1, y1 = (cells[:, k, None, None] for k in range(4))
    return (ys >= y0) & (ys < y1) & (xs >= x0) & (xs < x1)


def max_over_boxes(inside: Tensor, values: Tensor) -> Tensor:
    """(H, W) max of ``values[k]`` over the boxes ``k`` covering each cell,
    0 where none does."""
    if not len(values):
        return inside.new_zeros(inside.shape[1:], dtype=torch.float32)
    return (inside * values.float()[:, None, None]).amax(dim=0)


class _GTMaskConnector(BaseConnector):
    """A connector whose forward also receives the distillation context."""

    def forward(self, feature: Tensor, context=None):
        if context is None:
            raise RuntimeError(
                f'{type(self).__name__} needs the GT boxes of the step: use '
                'it in an ifkd.IFKDDistiller under ifkd.DetectionDistill.')
        return self.forward_train(feature, context)

    def _cells(self, feature: Tensor, context) -> List[Tensor]:
        hw = tuple(feature.shape[-2:])
        return [
            boxes_to_cells(b.to(feature.device), hw,
                           context.batch_input_shape)
            for b in gt_bboxes(context)
        ]


@MODELS.register_module()
class FGDMaskConnector(_GTMaskConnector):
    """Foreground / background scale masks of `Focal and Global Knowledge
    Distillation for Detectors <https://arxiv.org/abs/2111.11837>`_ (FGD,
    CVPR 2022, Eq. 2-3) for one FPN level.

    Inside a box, ``fg = 1 / (H_r W_r)`` (its area in cells; the smallest box
    wins where boxes overlap), so every object weighs the same whatever its
    size; elsewhere ``bg = 1 / N_bg``, the number of background cells of the
    image. Both are (B, 1, H, W) and detached.
    """

    def forward_train(self, feature: Tensor, context) -> Tuple[Tensor, Tensor]:
        b, _, h, w = feature.shape
        fg = feature.new_zeros(b, 1, h, w, dtype=torch.float32)
        for i, cells in enumerate(self._cells(feature, context)):
            area = (cells[:, 2] - cells[:, 0]) * (cells[:, 3] - cells[:, 1])
            fg[i, 0] = max_over_boxes(cell_masks(cells, (h, w)), 1.0 / area)
        bg = (fg == 0).float()
        bg = bg / bg.sum(dim=(2, 3), keepdim=True).clamp(min=1)
        return fg, bg


@MODELS.register_module()
class ARSDMaskConnector(_GTMaskConnector):
    """Multi-scale core-feature mask of `Adaptive Knowledge Distillation for
    Lightweight Remote Sensing Object Detectors Optimizing.

    <https://doi.org/10.1109/TGRS.2022.3175213>`_ (ARSD, TGRS 2022, MCFI
    module) for one FPN level.

    Each GT box is imitated on one level only, chosen from its size relative
    to the batch input as in FPN's RoI mapping:
    ``k = floor(k0 + log2(sqrt(wh) / sqrt(HW)))`` clipped to the levels; its
    cells get the area weight ``1 + exp(-2 sqrt(wh) / sqrt(HW))`` (in
    (1, 2], larger for small objects). Overlaps keep the larger weight.

    Args:
        level (int): Index of this FPN level (0 = finest).
        num_levels (int): Number of FPN levels. Defaults to 5.
        k0 (float): Level of an object as large as the input. Defaults to
            ``num_levels - 1``.
        init_cfg (dict, optional): The config to control the initialization.
    """

    def __init__(self,
                 level: int,
                 num_levels: int = 5,
                 k0: Optional[float] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        self.level = level
        self.num_levels = num_levels
        self.k0 = num_levels - 1 if k0 is None else k0

    def assign_levels(self, boxes: Tensor,
                      input_hw: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
        """Each box's level and area weight."""
        side = ((boxes[:, 2] - boxes[:, 0]).clamp(min=1e-6) *
                (boxes[:, 3] - boxes[:, 1]).clamp(min=1e-6)).sqrt()
        rel = side / math.sqrt(input_hw[0] * input_hw[1])
        levels = (self.k0 + torch.log2(rel)).floor().clamp(
            0, self.num_levels - 1).long()
        return levels, 1 + torch.exp(-2 * rel)

    def forward_train(self, feature: Tensor, context) -> Tensor:
        b, _, h, w = feature.shape
        mask = feature.new_zeros(b, 1, h, w, dtype=torch.float32)
        for i, boxes in enumerate(gt_bboxes(context)):
            if not len(boxes):
                continue
            boxes = boxes.to(feature.device)
            levels, weights = self.assign_levels(boxes,
                                                 context.batch_input_shape)
            cells = boxes_to_cells(boxes, (h, w), context.batch_input_shape)
            weights = weights * (levels == self.level)  # others: 0
            mask[i, 0] = max_over_boxes(cell_masks(cells, (h, w)), weights)
        return mask


@MODELS.register_module()
class InsDistMaskConnector(_GTMaskConnector):
    """Parameter-free instance mask of `Instance-Aware Distillation for
    Efficient Object Detection in Remote Sensing Images.

    <https://doi.org/10.1109/TGRS.2023.3238801>`_ (InsDist, TGRS 2023) for one
    FPN level, from the teacher's feature of that level.

    For each GT box, the mean teacher feature inside it is the instance
    prototype; every location's dot product with it, min-max normalised over
    the image, above ``threshold`` marks the instance. The mask is the union
    over instances, so it follows the object rather than its box and also
    picks up similar (same-class) regions outside it.

    Returns ``(mask, regions)``: the detached (B, 1, H, W) binary mask and an
    (N, 5) long tensor ``batch_idx, x0, y0, x1, y1`` of the instances' cells,
    used by the instance relation loss.

    Args:
        threshold (float): Normalised-similarity threshold. Defaults to 0.5.
        init_cfg (dict, optional): The config to control the initialization.
    """

    def __init__(self,
                 threshold: float = 0.5,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        self.threshold = threshold

    def forward_train(self, feature: Tensor, context) -> Tuple[Tensor, Tensor]:
        feat = feature.detach().float()
        b, c, h, w = feat.shape
        mask = feat.new_zeros(b, 1, h, w)
        regions = []
        for i, cells in enumerate(self._cells(feature, context)):
            regions.append(torch.cat([cells.new_full((len(cells), 1), i),
                                      cells], dim=1))
            if not len(cells):
                continue
            inside = cell_masks(cells, (h, w)).flatten(1).float()  # (n, HW)
            flat = feat[i].reshape(c, h * w)
            # Each box's prototype (mean feature over its cells) . features.
            protos = (inside @ flat.T) / inside.sum(dim=1, keepdim=True)
            energy = protos @ flat  # (n, HW)
            low = energy.amin(dim=1, keepdim=True)
            span = (energy.amax(dim=1, keepdim=True) - low).clamp(min=1e-12)
            hit = ((energy - low) / span > self.threshold).any(dim=0)
            mask[i, 0] = hit.float().view(h, w)
        regions = torch.cat(regions) if regions else torch.zeros(
            0, 5, dtype=torch.long, device=feature.device)
        return mask, regions.view(-1, 5)
