"""Packing of co-registered modalities (EO / SAR, optical / SAR, ...)."""
from typing import Dict, Optional

from mmpretrain.datasets.transforms import PackInputs

from ifkd.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackMultiModalInputs(PackInputs):
    """Pack several images of the same object as ``inputs={modality: CHW}``.

    The data sample (``gt_label``, meta keys, ...) is packed as mmpretrain's
    ``PackInputs`` does. A modality whose key is absent from the results is
    left out, so a test set that has only the student's modality packs just
    that one. ``ifkd.MultiModalDataPreprocessor`` then preprocesses each
    modality with its own mean / std.

    Args:
        modalities (dict[str, str]): Modality name -> results key of its
            image (H, W) or (H, W, C), e.g. ``dict(eo='eo_img',
            sar='sar_img')``.
        algorithm_keys (Sequence[str]): See ``PackInputs``.
        meta_keys (Sequence[str], optional): See ``PackInputs``; defaults to
            its meta keys.
    """

    def __init__(self,
                 modalities: Dict[str, str],
                 algorithm_keys=(),
                 meta_keys: Optional[tuple] = None) -> None:
        if not modalities:
            raise ValueError('PackMultiModalInputs needs at least one '
                             'modality, e.g. dict(sar="sar_img").')
        super().__init__(
            input_key=None,
            algorithm_keys=algorithm_keys,
            meta_keys=meta_keys or PackInputs.DEFAULT_META_KEYS)
        self.modalities = dict(modalities)

    def transform(self, results: dict) -> dict:
        inputs = {
            name: self.format_input(results[key])
            for name, key in self.modalities.items() if key in results
        }
        if not inputs:
            raise KeyError(
                f'None of the modality keys {list(self.modalities.values())} '
                f'is in the results (keys: {sorted(results)}): load each '
                'modality into its key before packing.')
        packed = super().transform(results)
        packed['inputs'] = inputs
        return packed

    def __repr__(self) -> str:
        return f'{type(self).__name__}(modalities={self.modalities})'
