"""Frozen MobileSAM used by IFKD's EDE module, built once per process.

The network is deliberately *not* an ``nn.Module`` attribute of anything
that is saved: it lives in a module-level cache and callers hold a plain
reference, so detector checkpoints do not carry its ~40 MB of weights and
optimisers/wrappers never see its parameters.
"""
import os
from typing import Dict, Optional, Tuple, Union

import torch
from torch import Tensor

CONFIG_FIELD = 'model.distiller.sam_checkpoint'
WEIGHTS_HINT = (
    "Download MobileSAM's `weights/mobile_sam.pt` from the MobileSAM project "
    '(https://github.com/ChaoningZhang/MobileSAM) and set '
    f'`{CONFIG_FIELD}` to its local path; nothing is downloaded at run time.')

DeviceType = Union[str, torch.device]
_CACHE: Dict[Tuple[str, str], 'MobileSAMEncoder'] = {}


def _check_readable(checkpoint: Optional[str]) -> str:
    """Return the real path of ``checkpoint`` or fail with a clear message."""
    if not checkpoint:
        raise FileNotFoundError(f'`{CONFIG_FIELD}` is not set. {WEIGHTS_HINT}')
    path = os.path.realpath(os.path.expanduser(str(checkpoint)))
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise FileNotFoundError(
            f'`{CONFIG_FIELD}` = {checkpoint!r} is missing or unreadable. '
            f'{WEIGHTS_HINT}')
    return path


def _load_vit_t(path: str, device: torch.device) -> torch.nn.Module:
    # Imported here so that configs without EDE never need mobile_sam/timm.
    from mobile_sam import sam_model_registry

    # Build empty and load ourselves: mobile_sam's own loader calls
    # torch.load without map_location, which fails for GPU-saved weights on
    # CPU-only hosts.
    model = sam_model_registry['vit_t']()
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
        model.load_state_dict(state)
    except Exception as e:
        raise RuntimeError(
            f'`{CONFIG_FIELD}` = {path!r} is not a MobileSAM vit_t state '
            f'dict. {WEIGHTS_HINT}') from e
    model.eval().requires_grad_(False)
    return model.to(device)


class MobileSAMEncoder:
    """MobileSAM (``vit_t``) frozen in eval mode on one device.

    Build it with :meth:`build`, which returns the process-wide instance for
    a (real checkpoint path, device) pair. The ``embed`` and ``mask_logits``
    calls move to the device of their input lazily, through that same cache.

    Args:
        model (nn.Module): A frozen ``mobile_sam`` Sam model.
        checkpoint (str): Real path of its weights.
    """

    def __init__(self, model: torch.nn.Module, checkpoint: str) -> None:
        self.model = model
        self.checkpoint = checkpoint

    @classmethod
    def build(cls,
              checkpoint: Optional[str],
              device: DeviceType = 'cpu') -> 'MobileSAMEncoder':
        """The cached encoder for ``checkpoint`` on ``device``.

        Args:
            checkpoint (str): Path of MobileSAM's ``mobile_sam.pt``
                (config field ``model.distiller.sam_checkpoint``).
            device (str | torch.device): Device to hold the network.
                Defaults to 'cpu'.

        Raises:
            FileNotFoundError: ``checkpoint`` is unset, missing or
                unreadable.
        """
        path = _check_readable(checkpoint)
        device = torch.device(device)
        if device.type == 'cuda' and device.index is None:
            device = torch.device('cuda', torch.cuda.current_device())
        key = (path, str(device))
        if key not in _CACHE:
            _CACHE[key] = cls(_load_vit_t(path, device), path)
        return _CACHE[key]

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def _on(self, device: torch.device) -> 'MobileSAMEncoder':
        return self if device == self.device else self.build(
            self.checkpoint, device)

    @torch.no_grad()
    def embed(self, sam_batch: Tensor) -> Tensor:
        """Image embedding of SAM's image encoder.

        Args:
            sam_batch (Tensor): (B, 3, 1024, 1024) from ``to_sam_inputs``.

        Returns:
            Tensor: (B, 256, 64, 64) fp32 embeddings.
        """
        model = self._on(sam_batch.device).model
        return model.image_encoder(sam_batch).float()

    @torch.no_grad()
    def mask_logits(self, sam_batch: Tensor) -> Tensor:
        """Prompt-free low-res mask logits: ``decode(embed(sam_batch))``.

        Args:
            sam_batch (Tensor): (B, 3, 1024, 1024) from ``to_sam_inputs``.

        Returns:
            Tensor: (B, 1, 256, 256) fp32 logits.
        """
        return self.decode(self.embed(sam_batch))

    @torch.no_grad()
    def decode(self, embeddings: Tensor) -> Tensor:
        """Run SAM's mask decoder without any prompt.

        No point, box or mask prompt: the sparse prompt embedding is empty
        and the dense one is ``no_mask_embed``; the single-mask output is
        kept.

        Args:
            embeddings (Tensor): (B, 256, 64, 64) from :meth:`embed`.

        Returns:
            Tensor: (B, 1, 256, 256) fp32 logits.
        """
        model = self._on(embeddings.device).model
        sparse, dense = model.prompt_encoder(
            points=None, boxes=None, masks=None)
        image_pe = model.prompt_encoder.get_dense_pe()
        # The decoder repeats one image per prompt set: decode image by image.
        logits = [
            model.mask_decoder(
                image_embeddings=emb[None],
                image_pe=image_pe,
                sparse_prompt_embeddings=sparse,
                dense_prompt_embeddings=dense,
                multimask_output=False)[0] for emb in embeddings
        ]
        return torch.cat(logits).float()
