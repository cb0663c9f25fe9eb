"""Stages of the DisOptNet system (optical -> SAR building segmentation) on
synthetic SpaceNet 6 tiles: generate and prepare the tiles, train the
optical teacher once (stage 1), then for each seed the SAR-only baseline,
DisOptNet and DisOptNet with IFKD's modules (stage 2, frozen teacher);
export the distilled students and test every model on the validation
split, the students on SAR only.

Shared by ``tools/run_demo.py --system disoptnet`` and
``tools/analysis_tools/disoptnet_results.py`` (the README table). Every
stage calls the functions behind ``tools/train.py`` / ``tools/test.py``; a
stage whose output exists is skipped.
"""
import json
import os.path as osp
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from ifkd.engine.export import export_student
from ifkd.engine.launch import test, train
from ifkd.engine.pipeline import ensure_generated, save_budget
from ifkd.engine.systems.demo import run_system_demo, write_results
from ifkd.engine.systems.sar_ship import mean_std

CONFIG_DIR = osp.join('configs', 'disoptnet_seg')
ARCH = 'r18-slim-d8'
DATASET = 'synthetic-spacenet6'
TEACHER = f'deeplabv3plus_{ARCH}_1xb16-64px_{DATASET}-optical'
STUDENT = f'disoptnet-student_{ARCH}_1xb8-64px_{DATASET}-sar'
METHODS = {
    'SAR-only': f'deeplabv3plus_{ARCH}_1xb8-64px_{DATASET}-sar',
    # DisOptNet's architecture without the teacher: separates the gain of
    # its extra decoder and fusion head from that of distillation.
    'DisOptNet, no teacher': STUDENT,
    'DisOptNet': f'disoptnet_{ARCH}_1xb8-64px_{DATASET}',
    'DisOptNet + IFKD': f'ifkd-disoptnet_{ARCH}_1xb8-64px_{DATASET}',
}
METRICS = {
    'Dice': 'building/dice',
    'IoU': 'building/iou',
    'F1': 'building/f1',
    'polygon F1': 'building/polygon_f1',
}
TEACHER_SEED = 0
# Rows trained without the teacher (no teacher_ckpt, nothing to export).
UNDISTILLED = (TEACHER, METHODS['SAR-only'], STUDENT)


@dataclass
class SegBudget:
    """Data and schedule of a synthetic DisOptNet run; every student row
    shares them (the teacher has its own iterations and batch).

    Args:
        num_tiles (int): Generated tiles (the easternmost fifth validates).
        tile_size (int): Side of the tiles (crops of 48 px train).
        data_seed (int): Seed of the generated tiles.
        iters (int): Iterations of every student row.
        teacher_iters (int): Iterations of the optical teacher.
        batch_size (int): Batch of the student rows.
        teacher_batch_size (int): Batch of the teacher.
        lr (float): SGD learning rate of every row (poly decay).
    """
    num_tiles: int = 200
    tile_size: int = 64
    data_seed: int = 0
    iters: int = 120
    teacher_iters: int = 200
    batch_size: int = 8
    teacher_batch_size: int = 16
    lr: float = 0.02

    def describe(self, seeds: Sequence[int]) -> str:
        return (f'{self.num_tiles} synthetic tiles of {self.tile_size} px '
                f'(data seed {self.data_seed}; 48 px random crops + flips); '
                f'students {self.iters} iterations at batch '
                f'{self.batch_size}, teacher {self.teacher_iters} at batch '
                f'{self.teacher_batch_size}; SGD (momentum 0.9, Nesterov, '
                f'weight decay 1e-4), lr {self.lr}, poly 0.9 per '
                f'iteration, no clipping; from scratch; teacher seed '
                f'{TEACHER_SEED}, student seeds '
                f'{", ".join(map(str, seeds))}')


def config_path(name: str) -> str:
    return osp.join(CONFIG_DIR, name + '.py')


def ensure_data(data_root: str, budget: SegBudget,
                guard_dir: Optional[str] = None) -> None:
    """Generate and prepare the tiles unless ``data_root`` holds them with
    the budget's settings."""
    from ifkd.datasets.spacenet6 import prepare_spacenet6
    from ifkd.datasets.synthetic_spacenet6 import (GENERATOR_FILE,
                                                   generate_spacenet6)
    want = dict(num_tiles=budget.num_tiles, tile_size=budget.tile_size,
                seed=budget.data_seed)

    def generate() -> None:
        generate_spacenet6(data_root, **want)
        prepare_spacenet6(data_root, osp.join(data_root, 'prep'))

    ensure_generated(data_root, GENERATOR_FILE, want, generate, guard_dir,
                     needs=[osp.join('prep', 'valid.csv')])


def stage_options(data_root: str, iters: int, batch_size: int, lr: float,
                  seed: int) -> dict:
    """``--cfg-options`` of one stage."""
    root = osp.join(data_root, 'prep') + '/'
    return {
        'train_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
        'train_dataloader.batch_size': batch_size,
        'optim_wrapper.optimizer.lr': lr,
        'train_cfg.max_iters': iters,
        'train_cfg.val_interval': iters,
        'param_scheduler.0.end': iters,
        # The test stage evaluates: no validation, one checkpoint.
        'val_cfg': None,
        'val_dataloader': None,
        'val_evaluator': None,
        'default_hooks.checkpoint.interval': iters,
        'default_hooks.logger.interval': 50,
        'randomness.seed': seed,
    }


@dataclass
class DisOptNetSystem:
    """The stages of one work dir (see :class:`SegBudget` for the data
    and schedule; ``seeds`` are the student rows' ``randomness.seed``)."""
    work_dir: str
    data_root: str
    budget: SegBudget
    seeds: Sequence[int] = (0, )
    log: Callable[[str], None] = print
    timings: Dict[str, float] = field(default_factory=dict)

    def stage_dir(self, name: str, seed: Optional[int] = None) -> str:
        sub = name if seed is None else osp.join(name, f'seed{seed}')
        return osp.join(self.work_dir, sub)

    def teacher_ckpt(self) -> str:
        return osp.join(self.stage_dir(TEACHER),
                        f'iter_{self.budget.teacher_iters}.pth')

    def train_stage(self, name: str, seed: Optional[int] = None) -> str:
        """Train config ``name`` (the teacher when ``seed`` is None)."""
        b = self.budget
        teacher = seed is None
        iters = b.teacher_iters if teacher else b.iters
        ckpt = osp.join(self.stage_dir(name, seed), f'iter_{iters}.pth')
        if osp.isfile(ckpt):
            return ckpt
        options = stage_options(
            self.data_root, iters,
            b.teacher_batch_size if teacher else b.batch_size, b.lr,
            TEACHER_SEED if teacher else seed)
        if name not in UNDISTILLED:
            options['model.teacher_ckpt'] = self.teacher_ckpt()
        self.log(f'== training {name}' + ('' if teacher else
                                          f' (seed {seed})'))
        start = time.time()
        train(config_path(name), self.stage_dir(name, seed), resume='auto',
              cfg_options=options)
        self.timings[f'{name}/{seed}'] = time.time() - start
        return ckpt

    def test_stage(self, name: str, ckpt: str,
                   seed: Optional[int] = None) -> Dict[str, float]:
        """Test a trained stage; a distilled student is exported and tested
        with the student's own, SAR-only config."""
        work = self.stage_dir(name, seed)
        result = osp.join(work, 'test_metrics.json')
        if osp.isfile(result):
            with open(result) as f:
                return json.load(f)
        cfg = name
        if name not in UNDISTILLED:
            student = osp.join(work, 'student_' + osp.basename(ckpt))
            export_student(ckpt, student)
            ckpt, cfg = student, STUDENT
        self.log(f'== testing {name}' + ('' if seed is None else
                                         f' (seed {seed})'))
        metrics = test(config_path(cfg), ckpt, osp.join(work, 'test'),
                       cfg_options=stage_options(self.data_root, 1, 1, 0.,
                                                 0))
        metrics = {k: float(v) for k, v in metrics.items()
                   if isinstance(v, (int, float))}
        with open(result, 'w') as f:
            json.dump(metrics, f, indent=1)
        return metrics

    def run(self, methods: Sequence[str] = tuple(METHODS)
            ) -> Dict[str, List[Dict[str, float]]]:
        """Teacher once, then every method for every seed."""
        start = time.time()
        ensure_data(self.data_root, self.budget, guard_dir=self.work_dir)
        save_budget(self.work_dir, self.budget)
        results = {'Teacher': [self.test_stage(TEACHER,
                                                self.train_stage(TEACHER))]}
        for seed in self.seeds:
            for method in methods:
                name = METHODS[method]
                results.setdefault(method, []).append(
                    self.test_stage(name, self.train_stage(name, seed),
                                    seed))
        self.timings['total'] = time.time() - start
        return results


ROW_LABELS = {
    'Teacher': 'Optical teacher (sees optical)',
    'SAR-only': 'SAR-only DeepLabV3+',
    'DisOptNet, no teacher': 'DisOptNet architecture, no teacher (SAR)',
    'DisOptNet': 'DisOptNet student (SAR)',
    'DisOptNet + IFKD': 'DisOptNet + IFKD (HSM, FDR) (SAR)',
}


def results_table(results: Dict[str, List[Dict[str, float]]]) -> str:
    """Markdown table: mean ± std over runs, and each distilled row's gain
    over the SAR-only baseline's mean."""
    head = ['Model', 'runs'] + [f'{m} (%)' for m in METRICS]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    base = results.get('SAR-only')
    for row, runs in results.items():
        cells = [ROW_LABELS.get(row, row), str(len(runs))]
        for key in METRICS.values():
            values = [r[key] for r in runs]
            cell = mean_std(values)
            if base and row not in ('Teacher', 'SAR-only'):
                gain = statistics.mean(values) - statistics.mean(
                    [r[key] for r in base])
                cell += f' ({gain:+.1f})'
            cells.append(cell)
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def save_results(work_dir: str, results: Dict[str, List[Dict[str, float]]],
                 budget: SegBudget, timings: Dict[str, float]) -> str:
    """Write ``results.json`` and ``results.md``; returns the markdown."""
    return write_results(work_dir, results, budget, timings,
                         results_table(results))


def add_budget_args(parser, seeds: Sequence[int] = (0, )) -> None:
    """The data / schedule flags of :class:`SegBudget`."""
    d = SegBudget()
    parser.add_argument('--data-root', default=f'data/{DATASET}')
    for name in ('num_tiles', 'tile_size', 'data_seed', 'iters',
                 'teacher_iters', 'batch_size', 'teacher_batch_size'):
        parser.add_argument('--' + name.replace('_', '-'), type=int,
                            default=getattr(d, name))
    parser.add_argument('--lr', type=float, default=d.lr)
    parser.add_argument('--seeds', type=int, nargs='+', default=list(seeds),
                        help='seeds of the student rows')


def budget_from_args(args) -> SegBudget:
    return SegBudget(**{k: getattr(args, k) for k in asdict(SegBudget())})


def demo_main(argv: Optional[Sequence[str]] = None) -> str:
    """``tools/run_demo.py --system disoptnet``: generate, train the
    teacher and the three SAR rows, test, print the table; returns it."""
    return run_system_demo(
        argv, 'disoptnet',
        'DisOptNet on synthetic SpaceNet 6 tiles: optical teacher, '
        'SAR-only baseline, DisOptNet, DisOptNet + IFKD.',
        DisOptNetSystem, add_budget_args, budget_from_args, save_results)
