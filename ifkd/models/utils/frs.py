from torch import Tensor


def frs_mask(cls_logits: Tensor) -> Tensor:
    """Feature-richness score mask ``M_FRS`` of `Distilling Object Detectors
    with Feature Richness.

    <https://arxiv.org/abs/2111.00674>`_ (Du et al., NeurIPS 2021), used by
    IFKD's FDR module.

    The score of a location is the largest classification probability the
    teacher predicts there, over all anchors and classes. The channels of
    RetinaNet's cls logits (A * K) and of Faster R-CNN's RPN objectness (A)
    are exactly those (anchor, class) pairs, so the max runs over all of
    them; sigmoid is monotonic, so it is applied after the max.

    Args:
        cls_logits (Tensor): Teacher classification logits of one FPN level,
            (B, A * K, H, W).

    Returns:
        Tensor: Detached fp32 mask of shape (B, 1, H, W), values in (0, 1).
    """
    return cls_logits.detach().float().amax(dim=1, keepdim=True).sigmoid()
