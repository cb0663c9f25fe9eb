import math
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from torch import Tensor

from ifkd.registry import MODELS
from ..utils.poincare import dist, expmap0, project


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
    features) gets all ones.

    Given lists of levels (e.g. the FPN outputs), the distances of all
    levels are computed in one batched call over the concatenated locations
    and each level is normalised on its own, as if called level by level.

    Args:
        curvature (float): Ball curvature magnitude ``c`` (> 0). Defaults to
            1.0.
        scale (float, optional): Factor applied to the features before the
            exponential map. FPN features have per-location norms of order 10
            and ``tanh`` saturates above ~3, so unscaled they would all land
            on the boundary and every distance would be the same. Defaults to
            None, meaning ``1 / sqrt(C)``: a location whose entries have unit
            RMS is mapped to norm ``tanh(1) = 0.76``.
        eps (float, optional): Boundary margin of the projection. Defaults to
            None (4e-3 in fp32).
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

    def forward(self, t_feat: Union[Tensor, Sequence[Tensor]],
                s_feat: Union[Tensor, Sequence[Tensor]]
                ) -> Union[Tensor, List[Tensor]]:
        """Compute the mask of one level, or of a list of levels."""
        if isinstance(t_feat, Tensor):
            return self.forward_train(t_feat, s_feat)
        return self.forward_levels(t_feat, s_feat)

    def _to_ball(self, feat: Tensor) -> Tensor:
        scale = self.scale
        if scale is None:
            scale = 1 / math.sqrt(feat.shape[1])
        # Scale in fp32 too: bf16 rounding here would shift the distances.
        ball = expmap0(scale * feat.float(), self.curvature, dim=1)
        return project(ball, self.curvature, dim=1, eps=self.eps)

    @torch.no_grad()
    def forward_train(self, t_feat: Tensor, s_feat: Tensor) -> Tensor:
        """Compute the mask.

        Args:
            t_feat (Tensor): Teacher feature, (B, C, H, W).
            s_feat (Tensor): Student feature with the teacher's shape.

        Returns:
            Tensor: Detached fp32 mask ``M_HSM`` of shape (B, 1, H, W), mean 1
            over H x W for every image.
        """
        assert t_feat.shape == s_feat.shape, \
            f'shape mismatch: {t_feat.shape} vs {s_feat.shape}'
        return self._normalise(self._distance(t_feat, s_feat))

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
        d = self._distance(*(torch.cat([x.reshape(b, c, 1, -1) for x in xs],
                                       dim=3) for xs in (t_feats, s_feats)))
        return [
            self._normalise(level.reshape(b, 1, *t.shape[2:]))
            for level, t in zip(d.split(sizes, dim=3), t_feats)
        ]

    def _distance(self, t_feat: Tensor, s_feat: Tensor) -> Tensor:
        # poincare ops cast to fp32 and disable autocast themselves.
        return dist(
            self._to_ball(t_feat.detach()),
            self._to_ball(s_feat.detach()),
            self.curvature,
            dim=1)

    def _normalise(self, d: Tensor) -> Tensor:
        mean = d.mean(dim=(2, 3), keepdim=True)
        # Distances of identical features are fp32 rounding noise (~1e-7);
        # normalising those would turn noise into weights, so such images
        # (like any with equal distances) get weight 1 everywhere.
        flat = mean < self.flat_tol
        return torch.where(flat, torch.ones_like(d),
                           d / mean.clamp_min(self.flat_tol))
