from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.registry import TASK_UTILS
from mmdet.structures.bbox import bbox_overlaps
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from torch import Tensor

from ifkd.registry import MODELS
from .gt_masks import gt_bboxes


def flatten_levels(preds: Sequence[Tensor]) -> Tensor:
    """(B, A*4, H, W) per level -> (B, sum H*W*A, 4), in mmdet's anchor
    order (location-major, then anchor), matching ``grid_priors``."""
    return torch.cat([
        p.permute(0, 2, 3, 1).reshape(p.shape[0], -1, 4) for p in preds
    ], dim=1)


@MODELS.register_module()
class SSRDSelectorConnector(BaseConnector):
    """Strict supervision regression distillation (SSRD) selection of
    `Adaptive Knowledge Distillation for Lightweight Remote Sensing Object
    Detectors Optimizing <https://doi.org/10.1109/TGRS.2022.3175213>`_
    (ARSD, TGRS 2022).

    On the positive anchors of each GT box (IoU >= ``pos_iou_thr``, plus the
    best anchor of every box, as RetinaNet's assigner), the teacher's and the
    student's box deltas are decoded; only where the teacher's box overlaps
    the GT strictly better than the student's (by more than ``margin`` IoU)
    is the teacher's regression a target. Returns the student's and the
    (detached) teacher's deltas at those anchors, for an L1 loss. The IoU
    test and the selection are computed without gradients.

    Args:
        anchor_generator (dict): The head's anchor generator config.
        bbox_coder (dict): The head's box coder config.
        pos_iou_thr (float): Anchor-GT IoU for a positive. Defaults to 0.5.
        margin (float): Required IoU lead of the teacher. Defaults to 0.
        init_cfg (dict, optional): The config to control the initialization.
    """

    def __init__(self,
                 anchor_generator: Dict,
                 bbox_coder: Dict,
                 pos_iou_thr: float = 0.5,
                 margin: float = 0.0,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        self.prior_generator = TASK_UTILS.build(anchor_generator)
        self.bbox_coder = TASK_UTILS.build(bbox_coder)
        self.pos_iou_thr = pos_iou_thr
        self.margin = margin

    def forward(self, s_reg: List[Tensor], t_reg: List[Tensor],
                context=None) -> Tuple[Tensor, Tensor]:
        """Select; see :meth:`forward_train`."""
        if context is None:
            raise RuntimeError(
                'SSRDSelectorConnector needs the GT boxes of the step: use '
                'it in an ifkd.IFKDDistiller under ifkd.DetectionDistill.')
        return self.forward_train(s_reg, t_reg, context)

    def _anchors(self, preds: Sequence[Tensor]) -> Tensor:
        per_loc = self.prior_generator.num_base_priors
        for level, p in enumerate(preds):
            if p.shape[1] != per_loc[level] * 4:
                raise ValueError(
                    f'SSRD: level {level} regression has {p.shape[1]} '
                    f'channels but the anchor generator gives '
                    f'{per_loc[level]} anchors per location (expects '
                    f'{per_loc[level] * 4}): copy the head\'s '
                    'anchor_generator into the connector config.')
        sizes = [tuple(p.shape[-2:]) for p in preds]
        return torch.cat(
            self.prior_generator.grid_priors(sizes, device=preds[0].device))

    def forward_train(self, s_reg: List[Tensor], t_reg: List[Tensor],
                      context) -> Tuple[Tensor, Tensor]:
        """Pick the anchors where the teacher regresses better.

        Args:
            s_reg (list[Tensor]): Student box deltas (B, A*4, H, W) per
                level.
            t_reg (list[Tensor]): Teacher box deltas, same shapes.
            context (DistillContext): The step's GT boxes.

        Returns:
            tuple[Tensor, Tensor]: Student and detached teacher deltas
            (N, 4) at the N selected anchors of the whole batch.
        """
        if len(s_reg) != len(t_reg):
            raise ValueError(f'SSRD: {len(s_reg)} student levels vs '
                             f'{len(t_reg)} teacher levels.')
        anchors = self._anchors(s_reg)
        s_all, t_all = flatten_levels(s_reg), flatten_levels(t_reg).detach()
        keep = [
            self._select(anchors, s_all[i].detach().float(),
                         t_all[i].float(), gt.to(anchors.device))
            for i, gt in enumerate(gt_bboxes(context))
        ]
        batch = torch.cat([torch.full_like(k, i) for i, k in enumerate(keep)])
        loc = torch.cat(keep)
        return s_all[batch, loc], t_all[batch, loc]

    @torch.no_grad()
    def _select(self, anchors: Tensor, s_delta: Tensor, t_delta: Tensor,
                gt: Tensor) -> Tensor:
        if gt.numel() == 0:
            return torch.zeros(0, dtype=torch.long, device=anchors.device)
        ious = bbox_overlaps(anchors, gt)  # (M, G)
        best_iou, assigned = ious.max(dim=1)
        pos = best_iou >= self.pos_iou_thr
        # Every box keeps its best anchor (RetinaNet's min_pos_iou=0).
        gt_best = ious.argmax(dim=0)
        pos[gt_best] = True
        assigned[gt_best] = torch.arange(len(gt), device=gt.device)
        idx = pos.nonzero().squeeze(1)
        target = gt[assigned[idx]]
        iou_t = bbox_overlaps(
            self.bbox_coder.decode(anchors[idx], t_delta[idx]), target,
            is_aligned=True)
        iou_s = bbox_overlaps(
            self.bbox_coder.decode(anchors[idx], s_delta[idx]), target,
            is_aligned=True)
        return idx[iou_t > iou_s + self.margin]
