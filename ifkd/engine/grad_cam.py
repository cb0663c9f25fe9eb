"""Grad-CAM for classifiers, with forward hooks.

`Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
Localization <https://arxiv.org/abs/1610.02391>`_ (Selvaraju et al., ICCV
2017). pytorch-grad-cam (``grad-cam`` on PyPI) is not used: it requires
``opencv-python-headless``, a second cv2 next to mmcv's ``opencv-python``.
"""
import warnings
from typing import Callable, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import Tensor


def default_target_layer(model: nn.Module) -> str:
    """The layer whose output Grad-CAM explains, by architecture.

    ``ifkd.ShipCNN``: its last returned stage (conv - BN - ReLU - pool);
    mmpretrain ``VGG``: the last conv block (conv + ReLU, before the last
    pooling); ResNets (``res_layers``): the last stage, e.g. ``layer4``.
    These are the last maps with spatial extent; the pooled (1 x 1) output
    gives a degenerate, constant map. Other backbones fall back to their
    last ``Conv2d``, with a warning.

    Args:
        model (nn.Module): An mmpretrain classifier (with ``backbone``) or a
            bare backbone.

    Returns:
        str: The module name, for ``model.get_submodule``.
    """
    from mmpretrain.models.backbones import VGG

    from ifkd.models.backbones import ShipCNN
    backbone = getattr(model, 'backbone', model)
    prefix = 'backbone.' if backbone is not model else ''
    if isinstance(backbone, ShipCNN):
        return f'{prefix}stages.{backbone.out_indices[-1]}'
    if isinstance(backbone, VGG):
        features = getattr(backbone, backbone.module_name)
        last = max(i for i, m in enumerate(features)
                   if not isinstance(m, nn.MaxPool2d))
        return f'{prefix}{backbone.module_name}.{last}'
    if hasattr(backbone, 'res_layers'):
        return f'{prefix}{backbone.res_layers[-1]}'
    convs = [n for n, m in backbone.named_modules()
             if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(
            f'No Conv2d in {type(backbone).__name__}: pass the layer to '
            'explain with --target-layer (a module name of the model).')
    warnings.warn(f'No Grad-CAM default for {type(backbone).__name__}; '
                  f'using its last Conv2d {prefix}{convs[-1]} (set '
                  '--target-layer to choose).')
    return prefix + convs[-1]


def classifier_logits(model: nn.Module) -> Callable[[Tensor], Tensor]:
    """``inputs -> logits``: mmengine models in ``'tensor'`` mode (an
    mmpretrain ``ImageClassifier`` returns its head's class scores), plain
    modules called directly."""
    if isinstance(model, BaseModel):
        return lambda x: model(x, mode='tensor')
    return model


def normalise_maps(cams: Tensor, eps: float = 1e-12) -> Tensor:
    """Min-max scale each (H, W) map of (B, H, W) to [0, 1]; a flat map
    becomes zeros (nothing explains the score)."""
    flat = cams.flatten(1)
    low = flat.amin(dim=1)[:, None, None]
    span = (flat.amax(dim=1) - flat.amin(dim=1))[:, None, None]
    return torch.where(span > eps, (cams - low) / span.clamp_min(eps),
                       torch.zeros_like(cams))


class GradCAM:
    """Grad-CAM of one layer of a classifier.

    For class c with logit ``y_c`` and the layer's activations ``A_k``:
    ``L_c = ReLU(sum_k alpha_k A_k)`` with ``alpha_k`` the spatial mean of
    ``dy_c / dA_k``, bilinearly resized to the input and min-max normalised
    per image. The input gets ``requires_grad`` so that frozen backbones
    (fine-tuned heads) still give gradients at the layer.

    Args:
        model (nn.Module): The classifier, in eval mode.
        target_layer (str, optional): Module name of the layer (see
            ``model.named_modules()``). Defaults to
            :func:`default_target_layer`.
    """

    def __init__(self, model: nn.Module,
                 target_layer: Optional[str] = None) -> None:
        self.model = model
        self.target_layer = target_layer or default_target_layer(model)
        try:
            self.layer = model.get_submodule(self.target_layer)
        except AttributeError as e:
            raise ValueError(
                f'{type(model).__name__} has no module '
                f'{self.target_layer!r}; pick one of its named_modules() '
                '(e.g. backbone.layer4).') from e
        self.logits_fn = classifier_logits(model)

    def __call__(self, inputs: Tensor,
                 targets: Optional[Sequence[int]] = None
                 ) -> Tuple[Tensor, Tensor]:
        """Explain a batch.

        Args:
            inputs (Tensor): Model inputs (B, C, H, W), preprocessed.
            targets (Sequence[int], optional): Class of each image to
                explain. Defaults to the predicted classes.

        Returns:
            tuple[Tensor, Tensor]: Maps (B, H, W) in [0, 1] and the logits
            (B, K), both detached.
        """
        acts = []
        handle = self.layer.register_forward_hook(
            lambda module, args, out: acts.append(out))
        try:
            with torch.enable_grad():
                logits = self.logits_fn(inputs.detach().requires_grad_(True))
        finally:
            handle.remove()
        act = acts[-1]
        if not isinstance(act, Tensor) or act.dim() != 4:
            raise ValueError(
                f'Grad-CAM needs a (B, C, H, W) output at '
                f'{self.target_layer!r}; choose a convolutional layer.')
        if targets is None:
            targets = logits.argmax(dim=1)
        targets = torch.as_tensor(targets, device=logits.device).view(-1, 1)
        grads, = torch.autograd.grad(logits.gather(1, targets).sum(), act)
        weights = grads.mean(dim=(2, 3), keepdim=True)
        cams = F.relu((weights * act).sum(dim=1, keepdim=True))
        cams = F.interpolate(
            cams, size=inputs.shape[-2:], mode='bilinear',
            align_corners=False)
        return normalise_maps(cams[:, 0].detach()), logits.detach()


def overlay_cam(image: np.ndarray, cam: np.ndarray,
                alpha: float = 0.5) -> np.ndarray:
    """Blend a jet-coloured map over an image.

    Args:
        image (np.ndarray): uint8 image (H, W), (H, W, 1) or BGR (H, W, 3).
        cam (np.ndarray): Map (H, W) in [0, 1].
        alpha (float): Weight of the map. Defaults to 0.5.

    Returns:
        np.ndarray: uint8 BGR image (H, W, 3).
    """
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[:2] != cam.shape:
        raise ValueError(f'image {image.shape[:2]} and map {cam.shape} '
                         'differ in size.')
    heat = cv2.applyColorMap(
        np.uint8(np.clip(cam, 0, 1) * 255), cv2.COLORMAP_JET)
    return cv2.addWeighted(heat, alpha, image.astype(np.uint8), 1 - alpha, 0)
