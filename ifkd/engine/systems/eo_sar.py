"""Stages of the EO -> SAR vehicle classification system on the synthetic
EO/SAR pair set: generate the data, train the EO teacher once, then for
each seed the SAR student alone, the EO -> SAR distilled student (exported)
and its head-only fine-tune; run the inference tool's steps (TTA, cluster
voting, energy / max-softmax OOD scores) and score every row.

Shared by ``tools/run_demo.py --system eo-sar`` (one seed) and
``tools/analysis_tools/eo_sar_results.py`` (several seeds, the README
table). Training calls the function behind ``tools/train.py``; a stage
whose checkpoint or metrics exist is skipped, so an interrupted run picks
up where it stopped.
"""
import json
import math
import os
import os.path as osp
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from ifkd.engine.export import export_student
from ifkd.engine.launch import train
from ifkd.engine.pipeline import ensure_generated, save_budget
from ifkd.engine.systems.demo import run_system_demo, write_results
from ifkd.engine.systems.sar_ship import mean_std

CONFIG_DIR = osp.join('configs', 'eo_sar_cls')
DATASET = 'synthetic-eo-sar'
TEACHER = f'resnet18-w8_1xb32-focal_{DATASET[:-4]}'
STUDENT = 'resnet18-w8_1xb32_synthetic-sar'
FINETUNE = 'resnet18-w8_1xb32-head-ft_synthetic-sar'
KD = f'kd_resnet18-w8-eo_resnet18-w8-sar_1xb32_{DATASET}'
NCE = f'nce-sortmse_resnet18-w8-eo_resnet18-w8-sar_1xb32_{DATASET}'
# The same head fine-tune on the student trained alone: separates what
# distillation adds from what re-balancing the head adds.
FINETUNE_ALONE = FINETUNE + '_from-student'
CONFIGS = {FINETUNE_ALONE: FINETUNE}
TEACHER_SEED = 0
# Test-time views: 2 scales x 2 flips x 4 rotations; the first 8 are the
# flips and rotations at scale 1.
TTA_VIEWS = dict(flip=True, rot90=True, scales=(1.0, 1.25))
FLIP_ROT = dict(views=8)
# Row -> (trained stage, decide() settings); each row from '+ head
# fine-tune' on changes one setting of the row it names.
ROWS = {
    'SAR student alone': (STUDENT, dict(views=1)),
    'SAR student alone + head fine-tune': (FINETUNE_ALONE, dict(views=1)),
    'EO->SAR KD': (KD, dict(views=1)),
    '+ head fine-tune': (FINETUNE, dict(views=1)),
    '+ TTA (flips, rotations)': (FINETUNE, FLIP_ROT),
    '+ TTA (and 1.25x scale)': (FINETUNE, dict()),
    '+ TTA (flips, rotations) + feature voting':
    (FINETUNE, dict(FLIP_ROT, vote_mode='feature')),
    '+ TTA (flips, rotations) + id-gap voting (seed)':
    (FINETUNE, dict(FLIP_ROT, vote_mode='id-gap')),
    '+ TTA (flips, rotations) + id-gap voting, votes > 0.5':
    (FINETUNE, dict(FLIP_ROT, vote_mode='id-gap', min_confidence=0.5)),
}
NCE_ROW = "EO<->SAR InfoNCE + sorted MSE (seed's code)"
COLUMNS = {
    'top-1 (%)': 'accuracy',
    'mean class acc. (%)': 'mean_class_accuracy',
    'AUROC energy (%)': 'auroc/energy',
    'AUROC max-softmax (%)': 'auroc/max_softmax',
    'challenge score (%)': 'challenge/energy',
}


@dataclass
class EOSARBudget:
    """Data and schedule of a synthetic EO/SAR run; the student rows share
    them.

    Args:
        num_train (int): Generated training pairs.
        img_size (int): Chip side in px.
        data_seed (int): Seed of the generated set.
        test_tracks (int): Test tracks (4 chips each) per class; twice as
            many OOD tracks.
        epochs (int): Epochs of the student alone and of distillation.
        teacher_epochs (int): Epochs of the EO teacher.
        finetune_epochs (int): Epochs of the head-only fine-tune.
        batch_size (int): Training batch size.
        lr (float): SGD learning rate (cosine to 0, clipping at 5).
        finetune_lr (float): Learning rate of the head fine-tune.
        cluster_threshold (float): Cosine distance of feature voting.
        nce (bool): Also train the seed code's InfoNCE + sorted-MSE row.
    """
    num_train: int = 800
    img_size: int = 32
    data_seed: int = 0
    test_tracks: int = 6
    epochs: int = 12
    teacher_epochs: int = 20
    finetune_epochs: int = 3
    batch_size: int = 32
    lr: float = 0.05
    finetune_lr: float = 0.01
    cluster_threshold: float = 0.05
    nce: bool = False

    def describe(self, seeds: Sequence[int]) -> str:
        return (
            f'{self.num_train} synthetic EO/SAR training pairs of '
            f'{self.img_size} px (data seed {self.data_seed}); EO teacher '
            f'{self.teacher_epochs} epochs (focal, class-balanced sampler), '
            f'SAR students {self.epochs} epochs (student alone and '
            f'distilled alike), head fine-tune {self.finetune_epochs} '
            f'epochs at lr {self.finetune_lr}; batch {self.batch_size}; '
            f'SGD (momentum 0.9, Nesterov, weight decay 5e-4), lr '
            f'{self.lr}, cosine decay per iteration, gradient norm clipped '
            f'at 5; from scratch; TTA: flip x 4 rotations (8 views), and '
            f'x scales 1, 1.25 (16 views); voting on the 8-view TTA, votes '
            f'above 0.95 unless the row says otherwise; feature voting: '
            f'average linkage, cosine distance {self.cluster_threshold}; '
            f'energy '
            f'T = 1; teacher seed {TEACHER_SEED}, student seeds '
            f'{", ".join(map(str, seeds))}')


def config_path(name: str) -> str:
    return osp.join(CONFIG_DIR, CONFIGS.get(name, name) + '.py')


def ensure_data(data_root: str, budget: EOSARBudget,
                guard_dir: Optional[str] = None) -> None:
    """Generate the synthetic set unless ``data_root`` holds it with the
    budget's settings; refuses to replace data that results in
    ``guard_dir`` were made from."""
    from ifkd.datasets.synthetic_eo_sar import (GENERATOR_FILE,
                                                generate_eo_sar_dataset,
                                                generator_args)
    want = generator_args(num_train=budget.num_train,
                          img_size=budget.img_size, seed=budget.data_seed,
                          tracks_per_class=budget.test_tracks,
                          ood_tracks=2 * budget.test_tracks)
    # the record carries the generator's version too; it is no argument
    args = {k: v for k, v in want.items() if k != 'version'}
    ensure_generated(data_root, GENERATOR_FILE, want,
                     lambda: generate_eo_sar_dataset(data_root, **args),
                     guard_dir)


def stage_options(data_root: str, budget: EOSARBudget, epochs: int,
                  seed: int, lr: float) -> dict:
    """``--cfg-options`` of one training stage."""
    root = data_root.rstrip('/') + '/'
    return {
        'train_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
        'train_dataloader.batch_size': budget.batch_size,
        'optim_wrapper.optimizer.lr': lr,
        'train_cfg.max_epochs': epochs,
        'param_scheduler.end': epochs,
        # Scoring happens after training (inference tool): no validation.
        'val_cfg': None,
        'val_dataloader': None,
        'val_evaluator': None,
        'default_hooks.checkpoint.interval': epochs,
        'default_hooks.logger.interval': 25,
        'randomness.seed': seed,
    }


@dataclass
class EOSARSystem:
    """The stages of one work dir.

    Args:
        work_dir (str): Root of every stage's work dir.
        data_root (str): The synthetic EO/SAR set.
        budget (EOSARBudget): Data and schedule.
        seeds (list[int]): Seeds of the student rows (one run each, in
            ``<config>/seed<k>``); the teacher trains once.
        log (callable): Progress messages.
    """
    work_dir: str
    data_root: str
    budget: EOSARBudget
    seeds: Sequence[int] = (0, )
    log: Callable[[str], None] = print
    timings: Dict[str, float] = field(default_factory=dict)

    def stage_dir(self, name: str, seed: Optional[int] = None) -> str:
        sub = name if seed is None else osp.join(name, f'seed{seed}')
        return osp.join(self.work_dir, sub)

    def train_stage(self, name: str, seed: Optional[int] = None,
                    extra: Optional[dict] = None) -> str:
        """Train ``name`` (the teacher when ``seed`` is None); returns the
        checkpoint of a plain classifier (a distilled student exported)."""
        b = self.budget
        epochs, lr = {
            TEACHER: (b.teacher_epochs, b.lr),
            FINETUNE: (b.finetune_epochs, b.finetune_lr),
            FINETUNE_ALONE: (b.finetune_epochs, b.finetune_lr)
        }.get(name, (b.epochs, b.lr))
        work = self.stage_dir(name, seed)
        ckpt = osp.join(work, f'epoch_{epochs}.pth')
        exported = osp.join(work, f'student_epoch_{epochs}.pth')
        if name in (KD, NCE) and osp.isfile(exported):
            return exported
        if not osp.isfile(ckpt):
            options = stage_options(self.data_root, b, epochs,
                                    TEACHER_SEED if seed is None else seed,
                                    lr)
            options.update(extra or {})
            self.log(f'== training {name}' +
                     ('' if seed is None else f' (seed {seed})'))
            start = time.time()
            # resume='auto' would drop load_from (the fine-tune's start).
            resume = None if 'load_from' in options else 'auto'
            runner = train(config_path(name), work, resume=resume,
                           cfg_options=options)
            with open(osp.join(work, 'train_time.json'), 'w') as f:
                json.dump(time.time() - start, f)
            loss = runner.message_hub.get_scalar('train/loss').current()
            if not math.isfinite(loss):
                os.replace(ckpt, osp.join(work, 'diverged.pth'))
                raise RuntimeError(
                    f'{name} diverged (final training loss {loss}); lower '
                    'the learning rate (--lr) and run again.')
        spent = osp.join(work, 'train_time.json')
        if osp.isfile(spent):
            with open(spent) as f:
                self.timings[f'{name}/{seed}'] = json.load(f)
        if name in (KD, NCE):
            export_student(ckpt, exported)
            return exported
        return ckpt

    def training_minutes(self) -> float:
        """Training time summed over the stages (also those trained by
        an earlier or a parallel run of this work dir)."""
        return sum(v for k, v in self.timings.items() if k != 'total') / 60

    def teacher_ckpt(self) -> str:
        return self.train_stage(TEACHER)

    def score(self, name: str, ckpt: str, seed: Optional[int],
              rows: Dict[str, dict]) -> Dict[str, Dict[str, float]]:
        """Run the inference steps of ``rows`` on a trained stage (one
        forward pass of all views) and score each; cached in
        ``metrics.json``."""
        from ifkd.engine.inference import decide, predict
        from ifkd.evaluation.ood_metric import ood_metrics
        path = osp.join(self.stage_dir(name, seed), 'metrics.json')
        if osp.isfile(path):
            with open(path) as f:
                cached = json.load(f)
            if set(rows) <= set(cached):
                return cached
        student = name not in (TEACHER, )
        cfg = config_path(STUDENT if student else TEACHER)
        views = TTA_VIEWS if any(r.get('views') != 1 for r in
                                 rows.values()) else dict(flip=False,
                                                          rot90=False)
        preds = predict(cfg, ckpt, dataset=dict(data_root=self.data_root),
                        **views)
        out = {}
        for row, settings in rows.items():
            decision = decide(
                preds, cluster_threshold=self.budget.cluster_threshold,
                **settings)
            out[row] = ood_metrics(preds.gt, decision.labels,
                                   decision.scores, preds.classes,
                                   'energy' if student else None)
        with open(path, 'w') as f:
            json.dump(out, f, indent=1)
        return out

    def run(self) -> Dict[str, List[Dict[str, float]]]:
        """Teacher once, then every row for every seed; returns
        ``{row: [metrics of each seed]}`` (the teacher: one run)."""
        start = time.time()
        ensure_data(self.data_root, self.budget, guard_dir=self.work_dir)
        save_budget(self.work_dir, self.budget)
        teacher = self.teacher_ckpt()
        results = {
            'EO teacher (EO chips)':
            [self.score(TEACHER, teacher, None,
                        {'teacher': dict(views=1)})['teacher']]
        }
        kd_option = {'model.teacher_ckpt': teacher}
        for seed in self.seeds:
            by_stage: Dict[str, Dict[str, dict]] = {}
            for row, (stage, settings) in ROWS.items():
                by_stage.setdefault(stage, {})[row] = settings
            ckpts = {
                STUDENT: self.train_stage(STUDENT, seed),
                KD: self.train_stage(KD, seed, kd_option),
            }
            for tuned, base in ((FINETUNE_ALONE, STUDENT), (FINETUNE, KD)):
                ckpts[tuned] = self.train_stage(
                    tuned, seed, {'load_from': ckpts[base]})
            stages = list(by_stage)
            if self.budget.nce:
                ckpts[NCE] = self.train_stage(NCE, seed, kd_option)
                by_stage[NCE] = {NCE_ROW: dict(views=1)}
                stages.insert(2, NCE)
            for stage in stages:
                scored = self.score(stage, ckpts[stage], seed,
                                    by_stage[stage])
                for row in by_stage[stage]:
                    results.setdefault(row, []).append(scored[row])
        ordered = {row: results[row] for row in results}
        self.timings['total'] = time.time() - start
        return ordered


def results_table(results: Dict[str, List[Dict[str, float]]]) -> str:
    """Markdown table, mean ± std over the runs of each row."""
    head = ['Model', 'runs'] + list(COLUMNS)
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for row, runs in results.items():
        cells = [row, str(len(runs))]
        for key in COLUMNS.values():
            values = [r[key] for r in runs if key in r]
            cells.append(mean_std(values) if values else '—')
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def save_results(work_dir: str, results: Dict[str, List[Dict[str, float]]],
                 budget: EOSARBudget, timings: Dict[str, float]) -> str:
    """Write ``results.json`` and ``results.md``; returns the markdown."""
    return write_results(work_dir, results, budget, timings,
                         results_table(results))


def add_budget_args(parser, seeds: Sequence[int] = (0, )) -> None:
    """The data / schedule flags of :class:`EOSARBudget`."""
    d = EOSARBudget()
    parser.add_argument('--data-root', default=f'data/{DATASET}')
    for name in ('num_train', 'img_size', 'data_seed', 'test_tracks',
                 'epochs',
                 'teacher_epochs', 'finetune_epochs', 'batch_size'):
        parser.add_argument('--' + name.replace('_', '-'), type=int,
                            default=getattr(d, name))
    for name in ('lr', 'finetune_lr', 'cluster_threshold'):
        parser.add_argument('--' + name.replace('_', '-'), type=float,
                            default=getattr(d, name))
    parser.add_argument('--nce', action='store_true',
                        help="also train the seed code's InfoNCE + "
                        'sorted-MSE distillation')
    parser.add_argument('--seeds', type=int, nargs='+', default=list(seeds),
                        help='seeds of the student rows')


def budget_from_args(args) -> EOSARBudget:
    names = [f for f in asdict(EOSARBudget())]
    return EOSARBudget(**{n: getattr(args, n) for n in names})


def demo_main(argv: Optional[Sequence[str]] = None) -> str:
    """``tools/run_demo.py --system eo-sar``: generate, train the three
    stages, run inference (TTA, voting, OOD scores), print the table."""
    return run_system_demo(
        argv, 'eo-sar', 'EO -> SAR vehicle classification on the synthetic '
        'EO/SAR pair set: EO teacher, SAR student alone, distilled, '
        'fine-tuned, TTA, cluster voting, OOD scores.', EOSARSystem,
        add_budget_args, budget_from_args, save_results)


def gains(results: Dict[str, List[Dict[str, float]]], row: str, base: str,
          key: str) -> float:
    """Mean of ``key`` in ``row`` minus that in ``base``."""
    return (statistics.mean(r[key] for r in results[row]) -
            statistics.mean(r[key] for r in results[base]))
