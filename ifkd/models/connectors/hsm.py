import math
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from torch import Tensor

from ifkd.registry import MODELS
from ..utils.poincare import dist, expmap0


@MODELS.register_module()
class HSMConnector(BaseConnector):
    """Hyperbolic similarity mask (HSM) of `Information Fusion with Knowledge
    Distillation for Fine-grained Remote Sensing Object Detection.

    <https://doi.org/10.1145/3664647.3681684>`_ (IFKD, Eq. 9-11).

    Each location's C-vector of the teacher and the student feature is mapped
    onto the Poincaré ball (``project(expmap0(scale * x))``) and their
    geodesic distance becomes the weight of that location. The mask is
    detached and normalised per image to mean 1 over H x W, so it
    redistributes the loss over locations without changing its overall
    scale; an image whose distances are all equal or all ~0 (identical
    features), or that has a single location (1 x 1 maps), gets all ones.

    Given lists of levels (e.g. the FPN outputs), the distances of all
    levels are computed in one batched call over the concatenated locations
    and each level is normalised on its own, as if called level by level.

    Args:
        curvature (float): Ball curvature magnitude ``c`` (> 0). Defaults to
            1.0.
        scale (float, optional): Fixed factor applied to both features
            before the exponential map. Defaults to None: adaptive, per image
            and level, ``1 / (sqrt(C) * RMS(teacher))`` with the RMS over
            (C, H, W) of the detached teacher feature, so a location of
            typical size is mapped to norm ``tanh(1) = 0.76``. A fixed scale
            lets large features (FPN levels reach RMS 10 and more) saturate
            ``tanh``: all points land near the boundary and the mask flattens
            towards 1. The adaptive mask does not depend on the features'
            overall scale at all.
        eps (float, optional): Boundary margin of the projection (every
            projection, the distance's own included). Defaults to None (4e-3
            in fp32).
        flat_tol (float): Images whose mean distance is below it (identical
            features, up to fp32 rounding) get an all-ones mask. Defaults to
            1e-6.
        init_cfg (dict, optional): The config to control the initialization.
    """

    def __init__(self,
                 curvature: float = 1.0,
                 scale: Optional[float] = None,
                 eps: Optional[float] = None,
                 flat_tol: float = 1e-6,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        assert curvature > 0, f'curvature must be > 0, got {curvature}'
        self.curvature = curvature
        self.scale = scale
        self.eps = eps
        self.flat_tol = flat_tol
        self._mask_std: List[Tensor] = []

    def forward(self, t_feat: Union[Tensor, Sequence[Tensor]],
                s_feat: Union[Tensor, Sequence[Tensor]]
                ) -> Union[Tensor, List[Tensor]]:
        """Compute the mask of one level, or of a list of levels."""
        if isinstance(t_feat, Tensor):
            return self.forward_train(t_feat, s_feat)
        return self.forward_levels(t_feat, s_feat)

    def feature_scale(self, t_feat: Tensor) -> Union[float, Tensor]:
        """The factor before ``expmap0``: fixed, or (B, 1, 1, 1) adaptive."""
        if self.scale is not None:
            return self.scale
        t = t_feat.detach().float()
        rms = t.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt()
        tiny = torch.finfo(torch.float32).tiny
        return 1 / (math.sqrt(t.shape[1]) * rms).clamp_min(tiny)

    @torch.no_grad()
    def forward_train(self, t_feat: Tensor, s_feat: Tensor) -> Tensor:
        """Compute the mask.

        Args:
            t_feat (Tensor): Teacher feature, (B, C, H, W).
            s_feat (Tensor): Student feature with the teacher's shape.

        Returns:
            Tensor: Detached fp32 (fp64 for fp64 inputs) mask ``M_HSM`` of
            shape (B, 1, H, W), mean 1 over H x W for every image.
        """
        return self.forward_levels([t_feat], [s_feat])[0]

    @torch.no_grad()
    def forward_levels(self, t_feats: Sequence[Tensor],
                       s_feats: Sequence[Tensor]) -> List[Tensor]:
        """Masks of several levels (same B and C) from one distance call.

        Returns:
            list[Tensor]: One (B, 1, H_l, W_l) mask per level, each equal to
            ``forward_train`` on that level alone.
        """
        assert len(t_feats) == len(s_feats) > 0, 'need matching level lists'
        for t, s in zip(t_feats, s_feats):
            assert t.shape == s.shape, \
                f'shape mismatch: {t.shape} vs {s.shape}'
        b, c = t_feats[0].shape[:2]
        sizes = [t.shape[2] * t.shape[3] for t in t_feats]
        scales = [self.feature_scale(t) for t in t_feats]
        # Scale in fp32 (fp64 stays): bf16 rounding would shift distances.
        dtype = torch.float64 if t_feats[0].dtype == torch.float64 \
            else torch.float32
        # Locations x channels, channels last: the ball's reductions then run
        # over contiguous memory (about twice as fast on CPU as over dim 1).
        t_flat, s_flat = (torch.cat([
            (x.detach().to(dtype) * k).reshape(b, c, -1)
            for x, k in zip(xs, scales)
        ], dim=2).transpose(1, 2).contiguous() for xs in (t_feats, s_feats))
        d = self._distance(t_flat, s_flat).reshape(b, 1, 1, -1)
        masks = [
            self._normalise(level.reshape(b, 1, *t.shape[2:]))
            for level, t in zip(d.split(sizes, dim=3), t_feats)
        ]
        self._mask_std = [self._spread(m) for m in masks]
        return masks

    def log_vars(self) -> Dict[str, Tensor]:
        """Std over locations of the last call's masks (mean over images),
        one per level: near 0 means HSM has stopped discriminating."""
        if len(self._mask_std) == 1:
            return dict(mask_std=self._mask_std[0])
        return {f'mask_std{i}': v for i, v in enumerate(self._mask_std)}

    @staticmethod
    def _spread(mask: Tensor) -> Tensor:
        flat = mask.flatten(1)
        if flat.shape[1] < 2:
            return flat.new_zeros(())
        return flat.std(dim=1).mean()

    def _to_ball(self, feat: Tensor) -> Tensor:
        # No projection here: ``dist`` projects its inputs (with ``eps``).
        return expmap0(feat, self.curvature, dim=-1)

    def _distance(self, t_feat: Tensor, s_feat: Tensor) -> Tensor:
        # poincare ops cast to fp32 and disable autocast themselves.
        return dist(
            self._to_ball(t_feat),
            self._to_ball(s_feat),
            self.curvature,
            dim=-1,
            eps=self.eps)

    def _normalise(self, d: Tensor) -> Tensor:
        mean = d.mean(dim=(2, 3), keepdim=True)
        # Distances of identical features are fp32 rounding noise (~1e-7);
        # normalising those would turn noise into weights, so such images
        # (like any with equal distances) get weight 1 everywhere.
        flat = mean < self.flat_tol
        return torch.where(flat, torch.ones_like(d),
                           d / mean.clamp_min(self.flat_tol))
