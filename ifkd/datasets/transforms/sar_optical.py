"""Loading, splitting and packing of co-registered SAR + optical tiles for
segmentation.

mmseg's geometric transforms move ``img`` and the seg maps only. The pair
is therefore loaded as one stacked image (SAR channels, then optical
ones): ``RandomFlip`` / ``RandomCrop`` / ``CenterCrop`` then move both
modalities and the mask together, by construction. ``SplitModalities``
splits the stack afterwards and ``PackSegMultiModalInputs`` packs
``inputs={modality: CHW}`` for ``ifkd.MultiModalDataPreprocessor``.
"""
from typing import Dict, Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.datasets.transforms import PackSegInputs

from ifkd.datasets.spacenet6 import SpaceNet6Error, read_tile
from ifkd.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadSAROpticalPair(BaseTransform):
    """Read a SAR tile, its optical partner and its mask as one stack.

    Reads ``img_path`` (SAR), ``optical_path`` and ``seg_map_path``
    (binarised: any non-zero value is a building, as in the DisOptNet code)
    and sets ``img`` (H, W, C_sar + C_opt) float32,
    ``modality_channels={'sar': C_sar, 'optical': C_opt}``,
    ``gt_seg_map`` and ``seg_fields``. With ``modalities=('sar', )`` only
    the SAR tile is read (the student's own SAR-only pipeline).

    Args:
        modalities (Sequence[str]): ``('sar', 'optical')`` or ``('sar', )``.
        optical_bands (Sequence[int], optional): 1-based bands of the
            optical file, in the order to stack. Defaults to all bands.
        with_mask (bool): Read the mask. Defaults to True.
    """

    def __init__(self,
                 modalities: Sequence[str] = ('sar', 'optical'),
                 optical_bands: Optional[Sequence[int]] = None,
                 with_mask: bool = True) -> None:
        unknown = set(modalities) - {'sar', 'optical'}
        if not modalities or unknown:
            raise ValueError(f'modalities {modalities!r}: use "sar" and/or '
                             '"optical".')
        self.modalities = tuple(modalities)
        self.optical_bands = optical_bands
        self.with_mask = with_mask

    def transform(self, results: dict) -> dict:
        paths = dict(sar=results['img_path'],
                     optical=results.get('optical_path'))
        images: Dict[str, np.ndarray] = {}
        for name in self.modalities:
            if paths[name] is None:
                raise SpaceNet6Error(
                    f'{results["img_path"]} has no {name} partner '
                    '(no optical_path in the sample).')
            images[name] = read_tile(
                paths[name],
                self.optical_bands if name == 'optical' else None)
        if self.with_mask:
            mask = read_tile(results['seg_map_path'])[..., 0]
            images['mask'] = (mask != 0).astype(np.uint8)
        shapes = {k: v.shape[:2] for k, v in images.items()}
        if len(set(shapes.values())) > 1:
            raise SpaceNet6Error(
                f'Tile sizes differ for {results["img_path"]}: '
                + ', '.join(f'{k} {h}x{w}' for k, (h, w) in shapes.items())
                + '. SAR, optical and mask must share one grid: re-run '
                'spacenet6_prep.py or re-tile the optical image.')
        stack = [images[m].astype(np.float32) for m in self.modalities]
        results['img'] = np.concatenate(stack, axis=-1)
        results['modality_channels'] = {
            m: images[m].shape[-1] for m in self.modalities}
        results['img_shape'] = results['ori_shape'] = \
            shapes[self.modalities[0]]
        if self.with_mask:
            results['gt_seg_map'] = images['mask']
            results.setdefault('seg_fields', []).append('gt_seg_map')
        return results


@TRANSFORMS.register_module()
class SplitModalities(BaseTransform):
    """Split the stacked ``img`` back into one results key per modality.

    Uses ``modality_channels`` (set by ``LoadSAROpticalPair``) in its
    order; ``img`` is removed. A modality named in ``keys`` but not loaded
    is skipped, so a SAR-only pipeline packs only SAR.

    Args:
        keys (dict[str, str]): Modality -> results key, e.g.
            ``dict(sar='sar_img', optical='optical_img')``.
    """

    def __init__(self, keys: Dict[str, str]) -> None:
        self.keys = dict(keys)

    def transform(self, results: dict) -> dict:
        img = results.pop('img')
        start = 0
        for name, channels in results['modality_channels'].items():
            part = img[..., start:start + channels]
            start += channels
            if name in self.keys:
                results[self.keys[name]] = part
        if start != img.shape[-1]:
            raise ValueError(
                f'modality_channels {results["modality_channels"]} sum to '
                f'{start}, but the image has {img.shape[-1]} channels.')
        return results


@TRANSFORMS.register_module()
class PackSegMultiModalInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` with ``inputs={modality: CHW tensor}``.

    The data sample (``gt_sem_seg``, meta keys) is packed as mmseg does; a
    modality whose key is absent from the results is left out.

    Args:
        modalities (dict[str, str]): Modality -> results key.
        meta_keys (Sequence[str], optional): See ``PackSegInputs``.
    """

    def __init__(self, modalities: Dict[str, str],
                 meta_keys: Optional[Sequence[str]] = None) -> None:
        kwargs = {} if meta_keys is None else dict(meta_keys=meta_keys)
        super().__init__(**kwargs)
        self.modalities = dict(modalities)

    def transform(self, results: dict) -> dict:
        inputs = {
            name: super(PackSegMultiModalInputs, self).transform(
                dict(img=results[key]))['inputs']
            for name, key in self.modalities.items() if key in results
        }
        if not inputs:
            raise KeyError(
                f'None of {list(self.modalities.values())} is in the results '
                f'(keys: {sorted(results)}): put SplitModalities before '
                'PackSegMultiModalInputs.')
        packed = super().transform(
            {k: v for k, v in results.items() if k != 'img'})
        packed['inputs'] = inputs
        return packed
