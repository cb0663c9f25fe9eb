"""Stages of the SAR ship classification system on the synthetic ship set:
generate the data, train the ResNet50 teacher once, then train the ShipCNN
student alone and distilled (logit KD, IFKD's feature modules, both) for
one or more seeds, export the distilled students and test every model.

Shared by ``tools/run_demo.py --system sar-ship`` (one seed) and
``tools/analysis_tools/sar_ship_results.py`` (several seeds, the README
table). Every stage calls the functions behind ``tools/train.py``,
``tools/test.py`` and ``export_student.py`` in the calling process; a stage
whose output exists is skipped, so an interrupted run picks up where it
stopped.
"""
import json
import math
import os
import os.path as osp
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from ifkd.engine.export import export_student
from ifkd.engine.launch import test, train
from ifkd.engine.pipeline import ensure_generated, save_budget
from ifkd.engine.systems.demo import run_system_demo, write_results

CONFIG_DIR = osp.join('configs', 'sar_ship_cls')
DATASET = 'synthetic-sar-ship'
TEACHER = f'resnet50_1xb32_{DATASET}'
STUDENT = f'shipcnn_1xb32_{DATASET}'
# Row label -> config; the distilled students share the student's config
# for testing (after export).
METHODS = {
    'Student': STUDENT,
    'KD': f'kd_resnet50-shipcnn_1xb32_{DATASET}',
    'IFKD-feature': f'ifkd-feat_resnet50-shipcnn_1xb32_{DATASET}',
    'KD+IFKD': f'kd-ifkd_resnet50-shipcnn_1xb32_{DATASET}',
}
METRICS = {'accuracy': 'cls/accuracy', 'weighted F1': 'cls/weighted_f1'}
TEACHER_SEED = 0


@dataclass
class ShipBudget:
    """Data and schedule of a synthetic ship run (all rows share them,
    except that the teacher trains for ``teacher_epochs``).

    Args:
        num_images (int): Generated chips (train + test, 80/20 stratified).
        img_size (int): Side of the generated chips and of the resize.
        data_seed (int): Seed of the generated set.
        epochs (int): Epochs of the student rows (alone and distilled).
        teacher_epochs (int): Epochs of the teacher.
        batch_size (int): Training batch size of every row.
        lr (float): SGD learning rate of every row (cosine to 0, gradient
            norm clipped at 5, as in the configs).
    """
    num_images: int = 300
    img_size: int = 32
    data_seed: int = 0
    epochs: int = 4
    teacher_epochs: int = 12
    batch_size: int = 32
    lr: float = 0.05

    def describe(self, seeds: Sequence[int],
                 num_train: Optional[int] = None) -> str:
        train = f' ({num_train} train)' if num_train else ''
        return (f'{self.num_images} synthetic chips{train} of '
                f'{self.img_size} px (data seed {self.data_seed}); students '
                f'{self.epochs} epochs, teacher {self.teacher_epochs} '
                f'epochs, batch {self.batch_size}; SGD (momentum 0.9, '
                f'Nesterov, weight decay 5e-4), lr {self.lr} with cosine '
                f'decay per iteration, gradient norm clipped at 5; '
                f'inverse-frequency sampler; from scratch; teacher seed '
                f'{TEACHER_SEED}, student seeds {", ".join(map(str, seeds))}')


def config_path(name: str) -> str:
    return osp.join(CONFIG_DIR, name + '.py')


def generator_settings(budget: ShipBudget) -> dict:
    return dict(num_images=budget.num_images, img_size=budget.img_size,
                seed=budget.data_seed)


def ensure_data(data_root: str, budget: ShipBudget,
                guard_dir: Optional[str] = None) -> None:
    """Generate the synthetic ship set unless ``data_root`` holds it with
    the budget's settings. Refuses to replace data that results in
    ``guard_dir`` were made from."""
    from ifkd.datasets.synthetic_ships import (GENERATOR_FILE,
                                               generate_ship_dataset)
    want = generator_settings(budget)
    ensure_generated(data_root, GENERATOR_FILE, want,
                     lambda: generate_ship_dataset(data_root, **want),
                     guard_dir)


def stage_options(data_root: str, budget: ShipBudget, epochs: int,
                  seed: int) -> dict:
    """``--cfg-options`` of one stage: data, size, schedule and seed."""
    root = data_root.rstrip('/') + '/'
    size = (budget.img_size, budget.img_size)
    return {
        'train_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
        'train_dataloader.dataset.pipeline.1.scale': size,
        'test_dataloader.dataset.pipeline.1.scale': size,
        'train_dataloader.batch_size': budget.batch_size,
        'optim_wrapper.optimizer.lr': budget.lr,
        'train_cfg.max_epochs': epochs,
        'param_scheduler.end': epochs,
        # The test stage evaluates: no validation, one checkpoint.
        'val_cfg': None,
        'val_dataloader': None,
        'val_evaluator': None,
        'default_hooks.checkpoint.interval': epochs,
        'default_hooks.logger.interval': 10,
        'randomness.seed': seed,
    }


@dataclass
class ShipSystem:
    """The stages of one work dir.

    Args:
        work_dir (str): Root of every stage's work dir.
        data_root (str): The synthetic ship set.
        budget (ShipBudget): Data and schedule.
        seeds (list[int]): ``randomness.seed`` of the student rows, one run
            each (in ``<config>/seed<k>``); the teacher trains once, with
            ``TEACHER_SEED``. Seeds can be added to a finished work dir.
        log (callable): Progress messages.
    """
    work_dir: str
    data_root: str
    budget: ShipBudget
    seeds: Sequence[int] = (0, )
    log: Callable[[str], None] = print
    timings: Dict[str, float] = field(default_factory=dict)

    def prepare(self) -> None:
        """Generate the data and record the budget (a work dir trained with
        another budget is refused)."""
        ensure_data(self.data_root, self.budget, guard_dir=self.work_dir)
        save_budget(self.work_dir, self.budget)

    def stage_dir(self, name: str, seed: Optional[int] = None) -> str:
        sub = name if seed is None else osp.join(name, f'seed{seed}')
        return osp.join(self.work_dir, sub)

    def teacher_ckpt(self) -> str:
        return osp.join(
            self.stage_dir(TEACHER), f'epoch_{self.budget.teacher_epochs}.pth')

    def train_stage(self, name: str, seed: Optional[int] = None) -> str:
        """Train config ``name`` (the teacher when ``seed`` is None); returns
        its final checkpoint."""
        teacher = seed is None
        epochs = self.budget.teacher_epochs if teacher else self.budget.epochs
        work = self.stage_dir(name, seed)
        ckpt = osp.join(work, f'epoch_{epochs}.pth')
        if osp.isfile(ckpt):
            return ckpt
        options = stage_options(self.data_root, self.budget, epochs,
                                TEACHER_SEED if teacher else seed)
        if name != STUDENT and not teacher:
            options['model.teacher_ckpt'] = self.teacher_ckpt()
        self.log(f'== training {name}' +
                 ('' if teacher else f' (seed {seed})'))
        start = time.time()
        runner = train(config_path(name), work, resume='auto',
                       cfg_options=options)
        self.timings[f'{name}/{seed}'] = time.time() - start
        loss = runner.message_hub.get_scalar('train/loss').current()
        if not math.isfinite(loss):
            os.replace(ckpt, osp.join(work, 'diverged_' + osp.basename(ckpt)))
            raise RuntimeError(
                f'{name} diverged (final training loss {loss}); its results '
                'would be meaningless. Lower the learning rate (--lr) and '
                'run again.')
        return ckpt

    def test_stage(self, name: str, ckpt: str,
                   seed: Optional[int] = None) -> Dict[str, float]:
        """Test a trained stage; a distilled student is exported first and
        tested, like any checkpoint, with the student's own config."""
        work = self.stage_dir(name, seed)
        result = osp.join(work, 'test_metrics.json')
        if osp.isfile(result):
            with open(result) as f:
                return json.load(f)
        cfg = name
        if name not in (TEACHER, STUDENT):
            student = osp.join(work, 'student_' + osp.basename(ckpt))
            export_student(ckpt, student)
            ckpt, cfg = student, STUDENT
        self.log(f'== testing {name}' +
                 ('' if seed is None else f' (seed {seed})'))
        options = stage_options(self.data_root, self.budget,
                                self.budget.epochs, 0)
        metrics = test(config_path(cfg), ckpt, osp.join(work, 'test'),
                       cfg_options=options)
        metrics = {
            k: float(v)
            for k, v in metrics.items() if isinstance(v, (int, float))
        }
        with open(result, 'w') as f:
            json.dump(metrics, f, indent=1)
        return metrics

    def run(self, methods: Sequence[str] = tuple(METHODS)
            ) -> Dict[str, List[Dict[str, float]]]:
        """Teacher once, then every method for every seed; returns
        ``{row: [metrics of each run]}`` with the teacher as 'Teacher'."""
        start = time.time()
        self.prepare()
        results = {'Teacher': [self.test_stage(TEACHER,
                                                self.train_stage(TEACHER))]}
        for seed in self.seeds:
            for method in methods:
                name = METHODS[method]
                ckpt = self.train_stage(name, seed)
                results.setdefault(method, []).append(
                    self.test_stage(name, ckpt, seed))
        self.timings['total'] = time.time() - start
        return results

    def num_train(self) -> int:
        with open(osp.join(self.data_root, 'splits', 'train.txt')) as f:
            return sum(1 for line in f if line.strip())


def mean_std(values: Sequence[float]) -> str:
    """``mean ± sample std`` (``mean`` alone for a single value)."""
    if len(values) == 1:
        return f'{values[0]:.1f}'
    return f'{statistics.mean(values):.1f} ± {statistics.stdev(values):.1f}'


def results_table(results: Dict[str, List[Dict[str, float]]]) -> str:
    """Markdown table: mean ± std over the runs of each row, and the gain
    of each distilled row's mean over the student's."""
    head = ['Model', 'runs'] + [f'{m} (%)' for m in METRICS]
    lines = ['| ' + ' | '.join(head) + ' |',
             '|' + '---|' * len(head)]
    base = results.get('Student')
    for row, runs in results.items():
        cells = [ROW_LABELS.get(row, row), str(len(runs))]
        for key in METRICS.values():
            values = [r[key] for r in runs]
            cell = mean_std(values)
            if base and row not in ('Teacher', 'Student'):
                gain = (statistics.mean(values) -
                        statistics.mean([r[key] for r in base]))
                cell += f' ({gain:+.1f})'
            cells.append(cell)
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


ROW_LABELS = {
    'Teacher': 'Teacher ResNet50',
    'Student': 'Student ShipCNN',
    'KD': 'ShipCNN + KD',
    'IFKD-feature': 'ShipCNN + IFKD feature',
    'KD+IFKD': 'ShipCNN + KD + IFKD feature',
}


def save_results(work_dir: str, results: Dict[str, List[Dict[str, float]]],
                 budget: ShipBudget, timings: Dict[str, float]) -> str:
    """Write ``results.json`` and ``results.md``; returns the markdown."""
    return write_results(work_dir, results, budget, timings,
                         results_table(results))


def add_budget_args(parser, seeds: Sequence[int] = (0, )) -> None:
    """The data / schedule flags of :class:`ShipBudget`."""
    d = ShipBudget()
    parser.add_argument('--data-root', default=f'data/{DATASET}')
    parser.add_argument('--num-images', type=int, default=d.num_images,
                        help='generated chips, train + test (80/20)')
    parser.add_argument('--img-size', type=int, default=d.img_size)
    parser.add_argument('--data-seed', type=int, default=d.data_seed)
    parser.add_argument('--epochs', type=int, default=d.epochs,
                        help='epochs of the student rows')
    parser.add_argument('--teacher-epochs', type=int,
                        default=d.teacher_epochs)
    parser.add_argument('--batch-size', type=int, default=d.batch_size)
    parser.add_argument('--lr', type=float, default=d.lr)
    parser.add_argument('--seeds', type=int, nargs='+', default=list(seeds),
                        help='seeds of the student rows')


def budget_from_args(args) -> ShipBudget:
    return ShipBudget(
        num_images=args.num_images, img_size=args.img_size,
        data_seed=args.data_seed, epochs=args.epochs,
        teacher_epochs=args.teacher_epochs, batch_size=args.batch_size,
        lr=args.lr)


def demo_main(argv: Optional[Sequence[str]] = None) -> str:
    """``tools/run_demo.py --system sar-ship``: generate, train the teacher,
    the student, KD, IFKD-feature and KD+IFKD, export, test, print the
    table; returns it."""
    return run_system_demo(
        argv, 'sar-ship',
        'SAR ship classification on the synthetic ship set: teacher, '
        'student, KD, IFKD feature, KD + IFKD.',
        ShipSystem, add_budget_args, budget_from_args, save_results,
        describe=lambda system, seeds: system.budget.describe(
            seeds, system.num_train()))
