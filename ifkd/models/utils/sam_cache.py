"""On-disk cache of MobileSAM's outputs for IFKD's EDE module.

MobileSAM costs seconds per image on a CPU and tens of milliseconds on a
GPU, while a detector step at remote-sensing sizes costs about as much: with
a deterministic train pipeline every epoch recomputes the same outputs. This
cache computes each image's output once and serves it from disk afterwards.
"""
import hashlib
import io
import json
import os
import os.path as osp
import tempfile
import warnings
from typing import (Any, Callable, Dict, List, Optional, Sequence, Tuple)

import numpy as np
import torch
from torch import Tensor

from .sam_inputs import embed_valid_hw, sam_resize_shape, to_sam_inputs

FORMAT_VERSION = 2
# (channels, side) of MobileSAM's output per EDE source.
SAM_OUT_SHAPE = {'embedding': (256, 64), 'mask': (1, 256)}
# Transforms that are deterministic given (image file, flip, img_shape): the
# cache key captures everything they change about what SAM sees.
CACHEABLE_TRANSFORMS = frozenset({
    'LoadImageFromFile', 'LoadImageFromNDArray', 'LoadAnnotations',
    'LoadEmptyAnnotations', 'Resize', 'FixShapeResize', 'RandomFlip', 'Pad',
    'FilterAnnotations', 'PackDetInputs', 'PackInputs', 'ToTensor',
    'ImageToTensor', 'Collect'
})
# Transforms whose settings change SAM's pixels beyond what the key already
# holds (the output size is in the key through img_shape).
_PIXEL_TRANSFORMS = frozenset(
    {'LoadImageFromFile', 'LoadImageFromNDArray', 'Resize', 'FixShapeResize'})
_SIZE_ARGS = frozenset({
    'type', 'scale', 'scale_factor', 'keep_ratio', 'width', 'height',
    'clip_object_border', 'backend_args', 'file_client_args'
})
_FILE_SHA1: Dict[Tuple[str, int, int], str] = {}


def file_sha1(path: str) -> str:
    """sha1 of a file's bytes, memoised per (path, size, mtime) in-process."""
    st = os.stat(path)
    key = (osp.realpath(path), st.st_size, st.st_mtime_ns)
    if key not in _FILE_SHA1:
        digest = hashlib.sha1()
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                digest.update(chunk)
        _FILE_SHA1[key] = digest.hexdigest()
    return _FILE_SHA1[key]


def current_umask() -> int:
    """The process umask, read without changing it where /proc allows
    (``os.umask`` can only be read by setting it, which races threads)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _transform_name(transform: Any) -> str:
    name = transform.get('type', '') if isinstance(
        transform, dict) else type(transform).__name__
    name = name if isinstance(name, str) else getattr(name, '__name__', '')
    return name.split('.')[-1]


def dataset_pipelines(dataset_cfg: dict) -> List[list]:
    """Every pipeline of a dataset config, wrappers (Repeat, Concat,
    MultiImageMix, ...) included."""
    pipelines = [dataset_cfg.get('pipeline') or []]
    inner = dataset_cfg.get('dataset')
    for sub in ([inner] if inner else []) + list(
            dataset_cfg.get('datasets') or []):
        pipelines += dataset_pipelines(sub)
    return pipelines


def check_pipeline_cacheable(pipeline: Sequence[Any]) -> Tuple[bool, str]:
    """Whether SAM's input is a function of (image file, flip, img_shape).

    Only known deterministic transforms pass (``CACHEABLE_TRANSFORMS``);
    random crops and resizes, photometric changes, Mosaic/MixUp or unknown
    transforms could change the pixels behind the same key.

    Args:
        pipeline (Sequence[dict]): A train pipeline config.

    Returns:
        tuple[bool, str]: The verdict and, if False, the reason.
    """
    for transform in pipeline:
        name = _transform_name(transform)
        if name not in CACHEABLE_TRANSFORMS:
            return False, (
                f'the train pipeline has {name!r}, which can change the '
                'pixels MobileSAM sees beyond (image file, flip, img_shape)')
        if name == 'Resize' and isinstance(transform, dict) and isinstance(
                transform.get('scale'), list):
            return False, 'Resize has a list of scales'
    return True, ''


def pixel_settings_tag(pipelines: Sequence[Sequence[Any]]) -> str:
    """A short hash of the settings that change SAM's pixels for a given
    (image file, flip, img_shape): every argument of the loading and resize
    transforms other than the target size and the file backend (mmcv
    2.1.0's ``LoadImageFromFile``: ``color_type``, ``imdecode_backend``,
    ``to_float32``, ``ignore_empty``; mmdet's ``Resize``: ``interpolation``,
    ``backend``).

    Args:
        pipelines (list[list[dict]]): The train pipelines, see
            :func:`dataset_pipelines`.

    Returns:
        str: 12 hex digits; equal settings give equal tags.
    """
    settings = []
    for pipeline in pipelines:
        for transform in pipeline:
            name = _transform_name(transform)
            if name in _PIXEL_TRANSFORMS and isinstance(transform, dict):
                args = {
                    k: v
                    for k, v in transform.items() if k not in _SIZE_ARGS
                }
                settings.append([name, args])
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def inspect_train_pipelines(dataset_cfg: dict) -> Tuple[bool, str, str]:
    """Whether a train dataset config can be cached, why not, and its
    :func:`pixel_settings_tag`."""
    pipelines = dataset_pipelines(dataset_cfg)
    for pipeline in pipelines:
        ok, reason = check_pipeline_cacheable(pipeline)
        if not ok:
            return False, reason, ''
    return True, '', pixel_settings_tag(pipelines)


def run_sam(encoder, source: str, context, indices: Sequence[int]
            ) -> Tuple[Tensor, List[Tuple[int, int]]]:
    """MobileSAM's ``source`` output for the images ``indices`` of a batch.

    Args:
        encoder (MobileSAMEncoder): The frozen MobileSAM.
        source (str): 'embedding' or 'mask'.
        context (DistillContext): The step's batch.
        indices (Sequence[int]): Which images of the batch.

    Returns:
        tuple[Tensor, list]: (len(indices), C, S, S) fp32 ``sigmoid`` of the
        output (all EDE uses, computed once per batch rather than per level)
        and each image's valid (h, w) in SAM's input.
    """
    idx = list(indices)
    shapes = context.img_shapes
    sam_batch, valid_hw = to_sam_inputs(
        context.inputs[idx], [shapes[i] for i in idx], context.mean,
        context.std, bgr_to_rgb=not context.input_is_rgb)
    out = (
        encoder.embed(sam_batch)
        if source == 'embedding' else encoder.mask_logits(sam_batch))
    return out.float().sigmoid(), valid_hw


class SAMEmbeddingCache:
    """Disk cache of MobileSAM's EDE input (``embedding`` or ``mask``).

    One ``.npy`` file per image and key, in ``cache_dir``. The key is the
    sha1 of the image file's bytes (memoised per path), the flip direction,
    the valid ``img_shape`` after the detector's resize (SAM sees the resized
    image), the input channels, the loading and resize settings
    (``pipeline_tag``, see :func:`pixel_settings_tag`), the MobileSAM
    checkpoint's sha1 and the source. A deterministic train pipeline is
    needed for this to be the whole story: see
    :func:`check_pipeline_cacheable`, run by ``SAMCacheHook``.

    Storage. EDE only uses the sigmoid of SAM's output, which :func:`run_sam`
    returns, so each file holds those probabilities of the valid (unpadded)
    cells only, quantised to ``uint8`` (``round(255 * p)``), shape (h, w, C)
    (channels-last, the layout EDE's resize reads): at most 256 x 64 x 64 =
    1 MiB of data per image for the embedding and 1 x 256 x 256 = 64 KiB for
    the mask (less for non-square images), plus numpy's 128-byte ``.npy``
    header. They are served as ``k / 255``: at most 1/510 (half a level)
    from MobileSAM's, and so is EDE's resized perturbation (bilinear weights
    are convex) per unit of ``weight``. The padded cells are 0 (EDE never
    reads them).
    Computed images are served quantised as well, so hits and misses agree
    exactly.

    Files are written to a temp file and ``os.replace``-d, so dataloader
    workers and DDP ranks may share the directory. They get the mode a plain
    ``open`` would give (0666 less the umask; directories 0777 less the
    umask): with ``umask 002`` users of one group can share a cache.
    ``meta.json`` records the checkpoint sha1, the source and the format
    version; a cache that does not match them is stale: it is cleared (with
    a warning) and rebuilt.

    Args:
        cache_dir (str): The directory; created if missing.
        checkpoint (str): MobileSAM weights file (hashed to key the cache).
        source (str): 'embedding' or 'mask'. Defaults to 'embedding'.
        enabled (bool, optional): None until a pipeline check (e.g.
            ``SAMCacheHook``) sets it; an unchecked cache is used with a
            warning, a disabled one is bypassed.
    """

    def __init__(self,
                 cache_dir: str,
                 checkpoint: str,
                 source: str = 'embedding',
                 enabled: Optional[bool] = None) -> None:
        assert source in SAM_OUT_SHAPE, f'unknown source {source!r}'
        self.cache_dir = cache_dir
        self.checkpoint = checkpoint
        self.source = source
        self.enabled = enabled
        # Set with ``enabled`` by the pipeline check.
        self.pipeline_tag = ''
        self._meta: Optional[dict] = None
        self._ready = False
        self._warned = False

    @property
    def meta(self) -> dict:
        """What a valid cache in ``cache_dir`` must record."""
        if self._meta is None:
            self._meta = dict(
                format_version=FORMAT_VERSION,
                checkpoint_sha1=file_sha1(self.checkpoint),
                source=self.source)
        return self._meta

    def _meta_path(self) -> str:
        return osp.join(self.cache_dir, 'meta.json')

    def _read_meta(self) -> Optional[dict]:
        try:
            with open(self._meta_path()) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def prepare(self) -> None:
        """Create the directory, or clear it if it is stale. Idempotent."""
        if self._ready:
            return
        found = self._read_meta()
        os.makedirs(self.cache_dir, exist_ok=True)
        ours = [
            n for n in os.listdir(self.cache_dir)
            if n.endswith('.npy') or n == 'meta.json'
        ]
        if found != self.meta and ours:
            warnings.warn(
                f'SAM cache {self.cache_dir!r} is stale (meta {found} != '
                f'{self.meta}): clearing it; it will be rebuilt.')
            # Only the cache's own files: the directory may hold others.
            for name in ours:
                try:
                    os.remove(osp.join(self.cache_dir, name))
                except OSError:  # another process removed it first
                    pass
        if found != self.meta:
            self._atomic_write(self._meta_path(),
                               json.dumps(self.meta, indent=2).encode())
        self._ready = True

    def key(self, data_sample: Any, img_shape: Tuple[int, int],
            channels: int) -> Optional[str]:
        """The entry name of one image, or None if it has no image file.

        Args:
            data_sample (DetDataSample): Its ``img_path``, ``flip`` and
                ``flip_direction`` are read.
            img_shape (tuple[int, int]): Valid (h, w) in the batch.
            channels (int): Channels of the detector input.
        """
        meta = data_sample.metainfo
        path = meta.get('img_path')
        if not path or not osp.isfile(path):
            return None
        flip = meta.get('flip_direction') if meta.get('flip') else 'none'
        h, w = (int(v) for v in img_shape[:2])
        parts = [
            file_sha1(path), str(flip), f'{h}x{w}', f'c{channels}',
            self.pipeline_tag, self.meta['checkpoint_sha1'], self.source,
            f'v{FORMAT_VERSION}'
        ]
        return hashlib.sha1('|'.join(parts).encode()).hexdigest()

    def _path(self, key: str) -> str:
        return osp.join(self.cache_dir, key + '.npy')

    def _atomic_write(self, path: str, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=osp.dirname(path), suffix='.tmp')
        try:
            # mkstemp makes 0600 files; give the mode open() would (0666
            # less the umask), so a group can share the cache.
            os.fchmod(fd, 0o666 & ~current_umask())
            with os.fdopen(fd, 'wb') as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise

    def load(self, key: str) -> Optional[np.ndarray]:
        """The stored uint8 (h, w, C) levels, or None if absent/unreadable."""
        try:
            return np.load(self._path(key), allow_pickle=False)
        except (OSError, ValueError):
            return None

    def _load_checked(self, key: str, shape: tuple) -> Optional[np.ndarray]:
        levels = self.load(key)
        ok = levels is not None and levels.shape == shape and \
            levels.dtype == np.uint8
        return levels if ok else None

    def save(self, key: str, levels: np.ndarray) -> None:
        """Store uint8 (h, w, C) levels atomically; best effort (a failed
        write only means a later miss)."""
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(levels), allow_pickle=False)
        try:
            self._atomic_write(self._path(key), buf.getvalue())
        except OSError as e:
            warnings.warn(f'SAM cache: could not write {key}: {e}')

    @staticmethod
    def quantize(prob: Tensor) -> np.ndarray:
        """uint8 levels ``round(255 * prob)`` of probabilities in [0, 1]."""
        levels = prob.detach().float().mul(255).round_().clamp_(0, 255)
        return levels.to(torch.uint8).cpu().numpy()

    @staticmethod
    def dequantize(levels: np.ndarray) -> Tensor:
        """fp32 probabilities ``levels / 255``."""
        return torch.from_numpy(levels).float().div_(255)

    def _valid_cells(self, img_shapes: Sequence[Tuple[int, int]]):
        side = SAM_OUT_SHAPE[self.source][1]
        valid_hw = [sam_resize_shape(int(h), int(w)) for h, w in img_shapes]
        return valid_hw, embed_valid_hw(valid_hw, side)

    def fetch(self, context, compute: Callable[[List[int]], Tensor]
              ) -> Tuple[Tensor, List[Tuple[int, int]]]:
        """The batch's output: stored images from disk, the rest computed in
        one ``compute(indices)`` call and stored.

        Args:
            context (DistillContext): The step's batch.
            compute (callable): ``compute(indices)`` -> (len, C, S, S)
                :func:`run_sam` probabilities for those images of the batch.

        Returns:
            tuple[Tensor, list]: (B, C, S, S) fp32 probabilities on the
            batch's device and each image's valid (h, w) in SAM's input.
        """
        if self.enabled is None and not self._warned:
            warnings.warn('SAM cache used without a pipeline check: add '
                          "dict(type='ifkd.SAMCacheHook') to custom_hooks.")
            self._warned = True
        self.prepare()
        channels, side = SAM_OUT_SHAPE[self.source]
        img_shapes = context.img_shapes
        valid_hw, cells = self._valid_cells(img_shapes)
        samples = context.data_samples or [None] * len(img_shapes)
        keys = [
            self.key(s, hw, context.inputs.shape[1]) if s is not None else None
            for s, hw in zip(samples, img_shapes)
        ]
        levels = [
            self._load_checked(k, (*hw, channels)) if k else None
            for k, hw in zip(keys, cells)
        ]
        misses = [i for i, lv in enumerate(levels) if lv is None]
        if misses:
            out = compute(misses)
            for j, i in enumerate(misses):
                h, w = cells[i]
                levels[i] = self.quantize(out[j, :, :h, :w].permute(1, 2, 0))
                if keys[i]:
                    self.save(keys[i], levels[i])
        batch = torch.zeros(len(levels), side, side, channels)
        for i, lv in enumerate(levels):
            batch[i, :lv.shape[0], :lv.shape[1]] = self.dequantize(lv)
        # (B, C, S, S) in channels-last memory, as cached_sam_prob returns.
        return batch.permute(0, 3, 1, 2).to(context.inputs.device), valid_hw


def cached_sam_prob(encoder, source: str, context,
                    cache: Optional[SAMEmbeddingCache] = None
                    ) -> Tuple[Tensor, List[Tuple[int, int]]]:
    """``sigmoid`` of MobileSAM's ``source`` output for the batch (see
    :func:`run_sam`) in channels-last memory, through ``cache`` when it is
    given and not disabled."""
    if cache is None or cache.enabled is False:
        prob, valid_hw = run_sam(encoder, source, context,
                                 range(len(context.inputs)))
        # EDE resizes it onto every level; the CPU bilinear kernel works in
        # channels-last and would otherwise transpose it per image and level.
        return prob.contiguous(memory_format=torch.channels_last), valid_hw
    return cache.fetch(
        context, lambda idx: run_sam(encoder, source, context, idx)[0])
