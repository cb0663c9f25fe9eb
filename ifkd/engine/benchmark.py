"""Cost of a distillation step against its student and teacher.

``run_benchmark`` times, in one process and on the same batches: the student
alone, the teacher's forward alone, IFKD with and without the MobileSAM
cache, IFKD with a single module (EDE, FDR or HSM) and distillation
baselines. ``tools/analysis_tools/benchmark_distill.py`` is its CLI.

The rows are built and warmed up one after another and kept; their steps
are then timed round-robin (``time_interleaved``), which keeps a drift of
the machine's speed from favouring the rows timed first.

Memory is the peak of the last warm-up step minus the memory in use before
the row's model was built (weights, gradients, optimizer state and
activations count; MobileSAM's weights, built once per process beforehand,
do not). On CUDA: ``torch.cuda.max_memory_allocated`` after synchronising.
On CPU: the peak resident set size (``VmHWM`` of ``/proc/self/status``,
reset through ``/proc/self/clear_refs``; freed heap is returned with
``malloc_trim`` between rows); an approximation of the allocator's view.
"""
import copy
import ctypes
import gc
import glob
import os.path as osp
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import mmcv
import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config, ConfigDict
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from ifkd.engine.checks import model_num_classes
from ifkd.models.algorithms.detection_distill import load_model_cfg
from ifkd.models.distillers.ablation import (MODULE_TYPES, ablate_modules,
                                             short_type)

@dataclass
class BenchRow:
    """One measured configuration (times in seconds, memory in MiB)."""
    name: str
    sec_per_iter: float
    img_per_sec: float
    peak_mem_mib: float
    note: str = ''


# ---------------------------------------------------------------- batches
def synthetic_batches(num: int, batch_size: int, img_size: int,
                      num_classes: int, img_dir: str,
                      seed: int = 0) -> List[dict]:
    """Raw detector batches (uint8 BGR images, 1-4 boxes each).

    The images are also written as PNG files under ``img_dir`` and named by
    ``img_path``, so that the MobileSAM cache can key them.
    """
    rng = np.random.default_rng(seed)
    batches = []
    for b in range(num):
        inputs, samples = [], []
        for i in range(batch_size):
            img = rng.integers(0, 256, (img_size, img_size, 3), np.uint8)
            path = osp.join(img_dir, f'{b}_{i}.png')
            mmcv.imwrite(img, path)
            n = int(rng.integers(1, 5))
            xy = rng.uniform(0, img_size * 0.7, (n, 2))
            wh = rng.uniform(img_size * 0.05, img_size * 0.3, (n, 2))
            sample = DetDataSample(
                metainfo=dict(
                    img_path=path, img_id=f'{b}_{i}',
                    ori_shape=(img_size, img_size),
                    img_shape=(img_size, img_size), scale_factor=(1., 1.),
                    flip=False, flip_direction=None))
            sample.gt_instances = InstanceData(
                bboxes=torch.from_numpy(np.concatenate(
                    [xy, np.minimum(xy + wh, img_size)], 1)).float(),
                labels=torch.from_numpy(
                    rng.integers(0, num_classes, n)).long())
            sample.ignored_instances = InstanceData(
                bboxes=torch.zeros(0, 4), labels=torch.zeros(0).long())
            inputs.append(torch.from_numpy(img).permute(2, 0, 1).contiguous())
            samples.append(sample)
        batches.append(dict(inputs=inputs, data_samples=samples))
    return batches


def classification_batches(num: int, batch_size: int, img_size: int,
                           num_classes: int, seed: int = 0) -> List[dict]:
    """Raw classifier batches: uint8 3-channel images, one label each."""
    from mmpretrain.structures import DataSample
    rng = np.random.default_rng(seed)
    return [
        dict(
            inputs=[
                torch.from_numpy(
                    rng.integers(0, 256, (3, img_size, img_size), np.uint8))
                for _ in range(batch_size)
            ],
            data_samples=[
                DataSample().set_gt_label(int(rng.integers(num_classes)))
                for _ in range(batch_size)
            ]) for _ in range(num)
    ]


def is_classifier(model_cfg: dict) -> bool:
    """An mmpretrain classifier config (a ``head``, no detector heads)."""
    return 'head' in model_cfg and 'bbox_head' not in model_cfg


# ---------------------------------------------------------------- ablations
def ablate_distiller(distiller: dict, keep: Sequence[str]) -> dict:
    """``ablate_modules`` as a ``ConfigDict`` (see there)."""
    return ConfigDict(ablate_modules(distiller, keep))


# ---------------------------------------------------------------- memory
class MemoryMeter:
    """Peak memory of a code region relative to a baseline, in MiB."""

    def __init__(self, device: str) -> None:
        self.cuda = device.startswith('cuda')
        self.base = 0.

    @staticmethod
    def _status(field: str) -> float:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return float(line.split()[1]) / 1024  # kB -> MiB
        return 0.

    def release(self) -> None:
        """Return freed memory (Python, allocator, CUDA cache)."""
        gc.collect()
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
        else:
            try:
                ctypes.CDLL('libc.so.6').malloc_trim(0)
            except OSError:
                pass

    def current(self) -> float:
        if self.cuda:
            return torch.cuda.memory_allocated() / 2**20
        return self._status('VmRSS')

    def set_baseline(self) -> None:
        self.release()
        self.base = self.current()

    def reset_peak(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            return
        try:
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')  # resets VmHWM to the current RSS
        except OSError:
            pass

    def peak(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
            return torch.cuda.max_memory_allocated() / 2**20 - self.base
        return self._status('VmHWM') - self.base


# ---------------------------------------------------------------- timing
def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def warm_up(step: Callable[[dict], None], batches: List[dict], warmup: int,
            device: str, meter: MemoryMeter) -> float:
    """``max(warmup, 1)`` untimed steps; the peak memory of the last one."""
    steps = max(warmup, 1)
    for i in range(steps):
        if i == steps - 1:
            meter.reset_peak()
        step(batches[i % len(batches)])
    _sync(device)
    return meter.peak()


def time_interleaved(steps: Dict[str, Callable[[dict], None]],
                     batches: List[dict], iters: int, start: int,
                     device: str,
                     clock: Callable[[], float] = time.perf_counter
                     ) -> Dict[str, float]:
    """Median seconds per step of each entry of ``steps``, timed round-robin.

    Each round runs every step once on the same batch (``batches`` cycled
    from index ``start``), so that a drift of the machine's speed (other
    processes, frequency scaling, allocator state) shifts every row alike
    instead of favouring the rows timed first. The median resists other
    processes competing for the CPU; ``clock=time.process_time`` (CPU
    seconds of all threads) resists them better on a shared CPU.
    """
    times: Dict[str, List[float]] = {name: [] for name in steps}
    for i in range(iters):
        batch = batches[(start + i) % len(batches)]
        for name, step in steps.items():
            _sync(device)
            begin = clock()
            step(batch)
            _sync(device)
            times[name].append(clock() - begin)
    return {
        name: float(np.median(t)) if t else 0.
        for name, t in times.items()
    }


def _build(model_cfg, device: str):
    from mmdet.registry import MODELS
    return MODELS.build(model_cfg).to(device)


def _train_step_fn(model, optim_cfg) -> Callable[[dict], None]:
    model.train()
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(optim_cfg))

    def step(batch):
        model.train_step(batch, optim_wrapper)

    return step


def _teacher_fn(model) -> Callable[[dict], None]:
    model.eval()
    head = 'rpn_head' if getattr(model, 'rpn_head', None) else 'bbox_head'
    if not hasattr(model, head):  # an mmpretrain classifier
        head = 'head'

    @torch.no_grad()
    def step(batch):
        data = model.data_preprocessor(batch, True)
        getattr(model, head)(model.extract_feat(data['inputs']))

    return step


def warm_sam_cache(model, batches: List[dict]) -> None:
    """Fill the distiller's MobileSAM cache with ``batches``."""
    from ifkd.models.distillers.context import DistillContext
    distiller = model.distiller
    for batch in batches:
        data = model.data_preprocessor(batch, True)
        context = DistillContext.from_preprocessor(
            data['inputs'], data['data_samples'], model.data_preprocessor)
        for source in distiller.sam_caches:
            distiller._sam_prob(context, source)


# ---------------------------------------------------------------- configs
def _distill_model_cfg(cfg: Config, distiller: Optional[dict] = None,
                       sam_cache: Optional[dict] = None) -> ConfigDict:
    model = copy.deepcopy(cfg.model)
    if 'teacher_ckpt' in model:
        model.teacher_ckpt = None  # random teacher weights time the same
    if distiller is not None:
        model.distiller = distiller
    if 'sam_cache' in model.get('distiller', {}) or sam_cache is not None:
        model.distiller.sam_cache = sam_cache
    return model


def has_ede(distiller: dict) -> bool:
    return any(
        short_type(c) == 'EDEConnector'
        for c in distiller.get('connectors', {}).values())


def default_baselines(config: str, root: str = 'configs/baselines'
                      ) -> List[str]:
    """Baseline configs for the same detectors and data as an IFKD config:
    ``<method>_<rest>.py`` under ``root`` for ``ifkd_<rest>.py``."""
    rest = osp.basename(config).split('_', 1)[-1]
    return sorted(glob.glob(osp.join(root, '**', f'*_{rest}'),
                            recursive=True))


def _short_name(path: str) -> str:
    return osp.basename(path).split('_', 1)[0].upper()


def run_benchmark(config: str,
                  iters: int = 5,
                  warmup: int = 1,
                  device: str = 'cpu',
                  batch_size: int = 2,
                  img_size: int = 256,
                  cfg_options: Optional[dict] = None,
                  baselines: Optional[Sequence[str]] = None,
                  amp: bool = False,
                  clock: str = 'wall',
                  log: Callable[[str], None] = print) -> List[BenchRow]:
    """Measure the rows described in the module docstring.

    Args:
        config (str): An IFKD distillation config.
        iters (int): Timed iterations per row.
        warmup (int): Untimed iterations before them.
        device (str): 'cpu' or 'cuda'.
        batch_size (int): Images per batch.
        img_size (int): Side of the square synthetic images.
        cfg_options (dict, optional): Overrides applied to every config.
        baselines (Sequence[str], optional): Baseline distillation configs;
            missing files are skipped. None: ``default_baselines(config)``.
        amp (bool): Use ``AmpOptimWrapper`` (CUDA).
        clock (str): ``'wall'`` seconds, or ``'cpu'`` seconds of this
            process (all threads; CPU only), which other processes sharing
            the cores barely change.
        log (callable): Progress messages.

    Returns:
        list[BenchRow]: student, teacher fwd, IFKD rows, ablations,
        baselines, in that order.
    """
    from ifkd.engine.launch import load_config, use_amp
    cfg = load_config(config, cfg_options=cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    if amp:
        use_amp(cfg)
    if clock not in ('wall', 'cpu'):
        raise ValueError(f"clock must be 'wall' or 'cpu', got {clock!r}")
    timer = time.process_time if clock == 'cpu' else time.perf_counter
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    student_cfg = load_model_cfg(cfg.model.architecture)
    teacher_cfg = load_model_cfg(cfg.model.teacher)
    num_classes = model_num_classes(student_cfg) or 1
    tmp = tempfile.TemporaryDirectory(prefix='ifkd_bench_')
    if is_classifier(student_cfg):
        batches = classification_batches(
            iters + max(warmup, 1), batch_size, img_size, num_classes)
    else:
        batches = synthetic_batches(
            iters + max(warmup, 1), batch_size, img_size, num_classes,
            tmp.name)
    meter = MemoryMeter(device)
    distiller = cfg.model.distiller
    if has_ede(distiller):  # built once per process, outside the rows
        from ifkd.models.utils import MobileSAMEncoder
        MobileSAMEncoder.build(distiller.sam_checkpoint, device)

    prepared: Dict[str, Callable[[dict], None]] = {}
    memory: Dict[str, float] = {}
    notes: Dict[str, str] = {}

    def measure(name, build: Callable, prepare=None, note=''):
        if name in prepared:  # e.g. two baselines of the same method
            name = f'{name} ({note})'
        log(f'benchmark: {name}')
        meter.set_baseline()
        torch.manual_seed(0)
        prepared[name] = prepare(build())
        memory[name] = warm_up(prepared[name], batches, warmup, device, meter)
        notes[name] = note

    train = lambda m: _train_step_fn(m, optim_cfg)  # noqa: E731
    measure('student', lambda: _build(student_cfg, device), train)
    measure('teacher fwd', lambda: _build(teacher_cfg, device), _teacher_fn)

    cache = dict(dir=osp.join(tmp.name, 'sam_cache'), enabled=True)

    def cached(model):
        warm_sam_cache(model, batches)
        return _train_step_fn(model, optim_cfg)

    def ifkd_row(name, dist_cfg, note=''):
        if has_ede(dist_cfg):
            measure(f'{name} (no cache)', lambda: _build(
                _distill_model_cfg(cfg, dist_cfg), device), train, note)
        measure(name + (' (cache)' if has_ede(dist_cfg) else ''),
                lambda: _build(
                    _distill_model_cfg(cfg, dist_cfg, cache), device),
                cached, note)

    ifkd_row('IFKD', distiller)
    present = {short_type(c) for c in distiller.get('connectors', {}).values()}
    for module in MODULE_TYPES:
        if MODULE_TYPES[module] not in present:  # e.g. no EDE on classifiers
            continue
        ablated = ablate_distiller(distiller, [module])
        if has_ede(ablated):  # the uncached cost is the full IFKD's
            measure(f'{module.upper()} only (cache)', lambda: _build(
                _distill_model_cfg(cfg, ablated, cache), device), cached)
        else:
            measure(f'{module.upper()} only', lambda: _build(
                _distill_model_cfg(cfg, ablated), device), train)
    for path in (default_baselines(config)
                 if baselines is None else baselines):
        if not osp.isfile(path):
            log(f'benchmark: skipping missing baseline {path}')
            continue
        base = load_config(path, cfg_options=cfg_options)
        measure(_short_name(path),
                lambda: _build(_distill_model_cfg(base), device), train,
                osp.basename(path))
    log(f'benchmark: timing {len(prepared)} rows round-robin')
    seconds = time_interleaved(prepared, batches, iters, max(warmup, 1),
                               device, timer)
    tmp.cleanup()
    return [
        BenchRow(name, sec, batch_size / sec if sec else 0., memory[name],
                 notes[name]) for name, sec in seconds.items()
    ]


# ---------------------------------------------------------------- table
def table_rows(rows: List[BenchRow],
               reference: Optional[str] = 'FRS') -> List[Dict]:
    """Rows with ratios: time and memory against 'student + teacher fwd'
    (sums of the two rows) and, if present, against the ``reference``
    baseline row."""
    by_name = {r.name: r for r in rows}
    student, teacher = by_name['student'], by_name['teacher fwd']
    ref_t = student.sec_per_iter + teacher.sec_per_iter
    ref_m = student.peak_mem_mib + teacher.peak_mem_mib
    base = by_name.get(reference) if reference else None
    out = [
        dict(name='student + teacher fwd', sec_per_iter=ref_t,
             img_per_sec=student.img_per_sec * student.sec_per_iter / ref_t,
             peak_mem_mib=ref_m, note='sum')
    ]
    out += [dict(vars(r)) for r in rows]
    for row in out:
        row['time_ratio'] = row['sec_per_iter'] / ref_t
        row['mem_ratio'] = row['peak_mem_mib'] / ref_m if ref_m else float(
            'nan')
        if base is not None:
            row['time_vs_ref'] = row['sec_per_iter'] / base.sec_per_iter
            row['mem_vs_ref'] = (
                row['peak_mem_mib'] / base.peak_mem_mib
                if base.peak_mem_mib else float('nan'))
    return out


def rows_from_table(table: List[Dict]) -> List[BenchRow]:
    """The measured rows back from :func:`table_rows`' output (e.g. a
    saved ``--json`` file): the computed sum row and ratios are dropped."""
    fields = ('name', 'sec_per_iter', 'img_per_sec', 'peak_mem_mib', 'note')
    return [
        BenchRow(**{k: r[k] for k in fields}) for r in table
        if r['name'] != 'student + teacher fwd'
    ]


def _table_lines(rows: List[BenchRow], reference: Optional[str]
                 ) -> List[List[str]]:
    """Header and formatted cells of :func:`table_rows`."""
    data = table_rows(rows, reference)
    has_ref = 'time_vs_ref' in data[0]
    head = ['row', 's/iter', 'img/s', 'peak MiB', 't/(S+T)', 'mem/(S+T)']
    if has_ref:
        head += [f't/{reference}', f'mem/{reference}']
    lines = [head]
    for r in data:
        line = [
            r['name'], f"{r['sec_per_iter']:.3f}", f"{r['img_per_sec']:.2f}",
            f"{r['peak_mem_mib']:.0f}", f"{r['time_ratio']:.2f}",
            f"{r['mem_ratio']:.2f}"
        ]
        if has_ref:
            line += [f"{r['time_vs_ref']:.2f}", f"{r['mem_vs_ref']:.2f}"]
        lines.append(line)
    return lines


def format_table(rows: List[BenchRow], reference: Optional[str] = 'FRS'
                 ) -> str:
    """A plain-text table of :func:`table_rows`."""
    lines = _table_lines(rows, reference)
    widths = [max(len(line[i]) for line in lines)
              for i in range(len(lines[0]))]
    text = [
        '  '.join(c.ljust(w) if i == 0 else c.rjust(w)
                  for i, (c, w) in enumerate(zip(line, widths)))
        for line in lines
    ]
    text.insert(1, '-' * len(text[0]))
    return '\n'.join(text)


def format_markdown(rows: List[BenchRow], reference: Optional[str] = 'FRS'
                    ) -> str:
    """The same table in Markdown, e.g. for a README."""
    lines = _table_lines(rows, reference)
    lines.insert(1, ['---'] * len(lines[0]))
    return '\n'.join('| ' + ' | '.join(line) + ' |' for line in lines)


__all__ = [
    'BenchRow', 'ablate_distiller', 'classification_batches',
    'default_baselines', 'format_markdown', 'format_table',
    'rows_from_table', 'run_benchmark', 'synthetic_batches', 'table_rows',
    'warm_sam_cache'
]
