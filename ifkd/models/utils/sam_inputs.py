"""Turn a detector's batch into MobileSAM's input, keeping track of geometry.

The detector's data preprocessor normalises each image and pads the batch
bottom/right; SAM wants un-padded RGB pixels resized so that the longest
side is 1024, normalised with its own statistics and padded bottom/right to
1024 x 1024. The valid (un-padded) sizes are returned so that SAM's outputs
can be cropped and mapped back onto each FPN level.
"""
import math
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

SAM_IMG_SIZE = 1024
SAM_PIXEL_MEAN = (123.675, 116.28, 103.53)
SAM_PIXEL_STD = (58.395, 57.12, 57.375)


def sam_resize_shape(h: int, w: int,
                     long_side: int = SAM_IMG_SIZE) -> Tuple[int, int]:
    """Size after resizing the longest side to ``long_side``.

    Rounds like SAM's ``ResizeLongestSide.get_preprocess_shape``.
    """
    scale = long_side / max(h, w)
    return int(h * scale + 0.5), int(w * scale + 0.5)


def _column(values: Sequence[float], x: Tensor) -> Tensor:
    return torch.as_tensor(
        values, dtype=x.dtype, device=x.device).view(-1, 1, 1)


def to_sam_inputs(batch_inputs: Tensor,
                  img_shapes: Sequence[Tuple[int, int]],
                  mean: Sequence[float],
                  std: Sequence[float],
                  bgr_to_rgb: bool,
                  img_size: int = SAM_IMG_SIZE
                  ) -> Tuple[Tensor, List[Tuple[int, int]]]:
    """Build MobileSAM's input batch from the detector's.

    Args:
        batch_inputs (Tensor): Detector input (B, C, H_pad, W_pad), C = 1 or
            3, normalised as ``(x - mean) / std`` and padded bottom/right.
        img_shapes (Sequence[tuple[int, int]]): Valid (h, w) of each image
            inside the padded batch (``img_shape`` of its data sample).
        mean (Sequence[float]): Detector ``mean``, in the channel order of
            ``batch_inputs``.
        std (Sequence[float]): Detector ``std``, same order.
        bgr_to_rgb (bool): Whether ``batch_inputs`` is BGR and must be
            flipped to the RGB order SAM expects. That is the case when the
            detector's data preprocessor has ``bgr_to_rgb=False`` (mmcv loads
            BGR). Ignored for 1-channel inputs.
        img_size (int): SAM's square input size. Defaults to 1024.

    Returns:
        tuple[Tensor, list[tuple[int, int]]]: The fp32 SAM batch
        (B, 3, img_size, img_size) and each image's valid (h, w) inside it.
    """
    x_all = batch_inputs.detach().float()
    mean, std = _column(mean, x_all), _column(std, x_all)
    sam_mean = _column(SAM_PIXEL_MEAN, x_all)
    sam_std = _column(SAM_PIXEL_STD, x_all)
    out = x_all.new_zeros(len(img_shapes), 3, img_size, img_size)
    valid = []
    for i, (h, w) in enumerate(img_shapes):
        h, w = int(h), int(w)
        img = x_all[i, :, :h, :w] * std + mean
        if img.shape[0] == 1:
            img = img.expand(3, -1, -1)
        elif bgr_to_rgb:
            img = img.flip(0)
        nh, nw = sam_resize_shape(h, w, img_size)
        img = F.interpolate(
            img[None], size=(nh, nw), mode='bilinear', align_corners=False,
            antialias=True)[0]
        out[i, :, :nh, :nw] = (img - sam_mean) / sam_std
        valid.append((nh, nw))
    return out, valid


def embed_valid_hw(sam_valid_hw: Sequence[Tuple[int, int]],
                   embed_size: int = 64,
                   img_size: int = SAM_IMG_SIZE) -> List[Tuple[int, int]]:
    """Valid region of a SAM output map (rounded up to whole cells).

    Args:
        sam_valid_hw (Sequence[tuple[int, int]]): Valid (h, w) in SAM's
            input, as returned by :func:`to_sam_inputs`.
        embed_size (int): Side of the square output map: 64 for the image
            embedding, 256 for the low-res mask logits. Defaults to 64.
        img_size (int): SAM's input size. Defaults to 1024.

    Returns:
        list[tuple[int, int]]: Valid (h, w) of each image in the output map.
    """
    stride = img_size / embed_size
    return [(min(math.ceil(h / stride), embed_size),
             min(math.ceil(w / stride), embed_size)) for h, w in sam_valid_hw]
