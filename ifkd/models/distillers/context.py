"""Per-step batch context shared by the connectors of one distillation step."""
from typing import (Any, Callable, Dict, Hashable, List, Optional, Sequence,
                    Tuple)

import torch
from torch import Tensor


class DistillContext:
    """What connectors may need besides recorded tensors: the batch and its
    geometry, plus a memo so a value (e.g. the MobileSAM output) is computed
    once per step however many levels use it.

    Args:
        inputs (Tensor): The normalised, padded batch (B, C, H, W).
        data_samples (list): The batch's data samples.
        mean (Sequence[float]): The detector's normalisation mean.
        std (Sequence[float]): The detector's normalisation std.
        input_is_rgb (bool): Whether ``inputs`` are RGB (the detector's
            preprocessor converted the loaded BGR images).
        sam_fn (callable, optional): ``sam_fn(context, source)`` computing
            ``sigmoid`` of MobileSAM's output for this batch; see
            :meth:`sam_prob`.
    """

    def __init__(self,
                 inputs: Tensor,
                 data_samples: Optional[List[Any]] = None,
                 mean: Sequence[float] = (0., 0., 0.),
                 std: Sequence[float] = (1., 1., 1.),
                 input_is_rgb: bool = False,
                 sam_fn: Optional[Callable] = None) -> None:
        self.inputs = inputs
        self.data_samples = data_samples or []
        self.mean = mean
        self.std = std
        self.input_is_rgb = input_is_rgb
        self.sam_fn = sam_fn
        self._memo: Dict[Hashable, Any] = {}

    @property
    def batch_input_shape(self) -> tuple:
        return tuple(self.inputs.shape[-2:])

    @property
    def img_shapes(self) -> List[tuple]:
        """Valid (unpadded) (h, w) of each image in the batch."""
        if not self.data_samples:
            return [self.batch_input_shape] * self.inputs.shape[0]
        return [tuple(s.metainfo['img_shape'][:2]) for s in self.data_samples]

    def memoize(self, key: Hashable, fn: Callable[[], Any]) -> Any:
        """Return ``fn()`` computed at most once per step for ``key``."""
        if key not in self._memo:
            self._memo[key] = fn()
        return self._memo[key]

    def sam_prob(self, source: str) -> Tuple[Tensor, List[tuple]]:
        """``sigmoid`` of MobileSAM's ``source`` output for the batch and
        each image's valid (h, w) in SAM's input, computed once per step."""
        if self.sam_fn is None:
            raise RuntimeError(
                'EDE needs MobileSAM: set the distiller\'s sam_checkpoint.')
        return self.memoize(('sam', source), lambda: self.sam_fn(self, source))

    @classmethod
    def from_preprocessor(cls,
                          inputs: Tensor,
                          data_samples: List[Any],
                          preprocessor: torch.nn.Module,
                          sam_fn: Optional[Callable] = None
                          ) -> 'DistillContext':
        """Build from an mmdet ``DetDataPreprocessor``'s settings."""
        mean = getattr(preprocessor, 'mean', None)
        std = getattr(preprocessor, 'std', None)
        channels = inputs.shape[1]
        return cls(
            inputs,
            data_samples,
            mean=(mean.flatten().tolist() if mean is not None else
                  [0.] * channels),
            std=(std.flatten().tolist() if std is not None else
                 [1.] * channels),
            input_is_rgb=bool(
                getattr(preprocessor, '_channel_conversion', False)),
            sam_fn=sam_fn)
