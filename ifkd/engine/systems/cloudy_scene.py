"""Stages of the cloudy-scene system on the synthetic SEN12MS-CR set:
generate the data and its band statistics, train the cloud-free optical
source once, then per seed the step-1 auxiliaries (optical; SAR through
CrossModalDistill), step 2 (both auxiliaries into the two-branch target,
with per-sample regulation, OGM-GE or none) and the baselines (KD-S,
optical -> SAR, naive late fusion); export every distilled student and
test it with its own config, overall and per cloud-cover bucket.

Shared by ``tools/run_demo.py --system cloudy-scene`` (one seed) and
``tools/analysis_tools/cloudy_scene_results.py`` (several seeds, the
README table and the contribution plot). A stage whose output exists is
skipped.
"""
import glob
import json
import os.path as osp
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from ifkd.engine.export import export_student
from ifkd.engine.launch import test, train
from ifkd.engine.pipeline import ensure_generated, save_budget
from ifkd.engine.systems.demo import run_system_demo, write_results
from ifkd.engine.systems.sar_ship import mean_std

CONFIG_DIR = osp.join('configs', 'cloudy_scene_cls')
DATASET = 'synthetic-sen12ms-cr'
SOURCE = f'source_cnn_1xb32_{DATASET}'
OPT = f'opt_cnn_1xb32_{DATASET}'
SAR = f'sar_cnn_1xb32_{DATASET}'
TWO_BRANCH = f'two-branch_cnn_1xb32_{DATASET}'
STEP1 = {'opt': f'step1-opt_cnn_1xb32_{DATASET}',
         'sar': f'step1-sar_cnn_1xb32_{DATASET}'}
# Row -> (training config, config its exported student is tested with),
# in training order (step 2 needs step 1 of the same seed).
METHODS = {
    'KD-S (opt -> cloudy opt)': (f'kd-s_cnn_1xb32_{DATASET}', OPT),
    'Opt -> SAR': (f'opt2sar_cnn_1xb32_{DATASET}', SAR),
    'Late fusion (no regulation)':
    (f'late-fusion_two-branch_1xb32_{DATASET}', TWO_BRANCH),
    'Step 1: optical auxiliary': (STEP1['opt'], OPT),
    'Step 1: SAR auxiliary': (STEP1['sar'], SAR),
    'Step 2, no regulation':
    (f'step2-none_two-branch_1xb32_{DATASET}', TWO_BRANCH),
    'Step 2 + OGM-GE': (f'step2-ogm-ge_two-branch_1xb32_{DATASET}',
                        TWO_BRANCH),
    'Full method (step 2 + per-sample regulation)':
    (f'step2-sample-reg_two-branch_1xb32_{DATASET}', TWO_BRANCH),
}
STEP2 = {row: cfg for row, (cfg, _) in METHODS.items() if 'step2' in cfg}
BUCKETS = ('<30', '30-70', '>70')
METRICS = {'overall': 'cloud/accuracy',
           **{f'cloud {b} %': f'cloud/acc_{b}' for b in BUCKETS}}
SOURCE_SEED = 0


@dataclass
class CloudyBudget:
    """Data and schedule of a synthetic cloudy-scene run (every row shares
    them; the source trains for ``source_epochs``).

    Args:
        num_source (int): Labelled cloud-free source patches.
        num_train (int): Unlabelled cloudy target patches.
        num_test (int): Test patches.
        img_size (int): Patch side.
        data_seed (int): Seed of the generated set.
        epochs (int): Epochs of every transfer / baseline run.
        source_epochs (int): Epochs of the source.
        batch_size (int): Training batch size.
        lr (float): SGD learning rate (cosine to 0, gradient norm clipped
            at 5, as in the configs).
    """
    num_source: int = 300
    num_train: int = 300
    num_test: int = 300
    img_size: int = 16
    data_seed: int = 0
    epochs: int = 8
    source_epochs: int = 15
    batch_size: int = 16
    lr: float = 0.05

    def describe(self, seeds: Sequence[int]) -> str:
        return (f'{self.num_source} source / {self.num_train} target / '
                f'{self.num_test} test synthetic patches of {self.img_size} '
                f'px (data seed {self.data_seed}); source {self.source_epochs}'
                f' epochs (seed {SOURCE_SEED}), every other row '
                f'{self.epochs} epochs, batch {self.batch_size}; SGD '
                '(momentum 0.9, Nesterov, weight decay 5e-4), lr '
                f'{self.lr} with cosine decay, gradient norm clipped at 5; '
                f'from scratch; seeds {", ".join(map(str, seeds))}')


def config_path(name: str) -> str:
    return osp.join(CONFIG_DIR, name + '.py')


def ensure_data(data_root: str, budget: CloudyBudget,
                guard_dir: Optional[str] = None) -> None:
    """Generate the set and its band statistics unless ``data_root`` holds
    them with the budget's settings; never replaces data that results in
    ``guard_dir`` were made from."""
    from ifkd.datasets.sen12ms_stats import write_band_stats
    from ifkd.datasets.synthetic_sen12ms import (GENERATOR_FILE,
                                                 generate_sen12ms_dataset)
    want = dict(num_source=budget.num_source, num_train=budget.num_train,
                num_test=budget.num_test, img_size=budget.img_size,
                seed=budget.data_seed)

    def generate() -> None:
        generate_sen12ms_dataset(data_root, **want)
        write_band_stats(data_root, 'splits/source.txt')

    ensure_generated(data_root, GENERATOR_FILE, want, generate, guard_dir,
                     needs=['band_stats.json'])


def stage_options(data_root: str, budget: CloudyBudget, epochs: int,
                  seed: int) -> dict:
    """``--cfg-options`` of one stage: data, schedule and seed."""
    root = data_root.rstrip('/') + '/'
    return {
        'train_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
        'train_dataloader.batch_size': budget.batch_size,
        'optim_wrapper.optimizer.lr': budget.lr,
        'train_cfg.max_epochs': epochs,
        'param_scheduler.end': epochs,
        'val_cfg': None,
        'val_dataloader': None,
        'val_evaluator': None,
        'default_hooks.checkpoint.interval': epochs,
        'randomness.seed': seed,
    }


@dataclass
class CloudySystem:
    """The stages of one work dir.

    Args:
        work_dir (str): Root of every stage's work dir.
        data_root (str): The synthetic set.
        budget (CloudyBudget): Data and schedule.
        seeds (list[int]): Seeds of every transfer / baseline row, one run
            each (``<config>/seed<k>``); the source trains once.
        methods (list[str]): Rows of :data:`METHODS` to run.
        log (callable): Progress messages.
    """
    work_dir: str
    data_root: str
    budget: CloudyBudget
    seeds: Sequence[int] = (0, )
    methods: Sequence[str] = tuple(METHODS)
    log: Callable[[str], None] = print
    timings: Dict[str, float] = field(default_factory=dict)

    def stage_dir(self, name: str, seed: Optional[int] = None) -> str:
        sub = name if seed is None else osp.join(name, f'seed{seed}')
        return osp.join(self.work_dir, sub)

    def train_stage(self, name: str, seed: Optional[int] = None) -> str:
        """Train config ``name`` (the source when ``seed`` is None);
        returns its final checkpoint."""
        source = seed is None
        epochs = self.budget.source_epochs if source else self.budget.epochs
        work = self.stage_dir(name, seed)
        ckpt = osp.join(work, f'epoch_{epochs}.pth')
        if osp.isfile(ckpt):
            return ckpt
        options = stage_options(self.data_root, self.budget, epochs,
                                SOURCE_SEED if source else seed)
        if 'step2' in name:
            for m, step1 in STEP1.items():
                options[f'model.teachers.{m}.ckpt'] = self.train_stage(
                    step1, seed)
        elif not source:
            options['model.teacher_ckpt'] = self.train_stage(SOURCE)
        self.log(f'== training {name}' + ('' if source else f' (seed {seed})'))
        start = time.time()
        train(config_path(name), work, resume='auto', cfg_options=options)
        self.timings[f'{name}/{seed}'] = time.time() - start
        return ckpt

    def test_stage(self, name: str, test_cfg: str, ckpt: str,
                   seed: Optional[int] = None,
                   tag: str = 'test') -> Dict[str, float]:
        """Test a checkpoint with ``test_cfg`` (a distillation checkpoint
        is exported first)."""
        work = self.stage_dir(name, seed)
        result = osp.join(work, f'{tag}_metrics.json')
        if osp.isfile(result):
            with open(result) as f:
                return json.load(f)
        if name != test_cfg and name != SOURCE:
            student = osp.join(work, 'student_' + osp.basename(ckpt))
            export_student(ckpt, student)
            ckpt = student
        self.log(f'== testing {name} with {test_cfg}' +
                 ('' if seed is None else f' (seed {seed})'))
        metrics = test(config_path(test_cfg), ckpt, osp.join(work, tag),
                       cfg_options=stage_options(self.data_root, self.budget,
                                                 1, 0))
        metrics = {k: float(v) for k, v in metrics.items()
                   if isinstance(v, (int, float))}
        with open(result, 'w') as f:
            json.dump(metrics, f, indent=1)
        return metrics

    def run(self) -> Dict[str, List[Dict[str, float]]]:
        """Source once, then every method for every seed; returns
        ``{row: [metrics of each run]}``."""
        start = time.time()
        ensure_data(self.data_root, self.budget, guard_dir=self.work_dir)
        save_budget(self.work_dir, self.budget)
        source = self.train_stage(SOURCE)
        results = {
            'Source on clear S2 (reference)':
            [self.test_stage(SOURCE, SOURCE, source, tag='test_clear')],
            'Source on cloudy S2 (no transfer)':
            [self.test_stage(SOURCE, OPT, source, tag='test_cloudy')],
        }
        for seed in self.seeds:
            for row in self.methods:
                name, test_cfg = METHODS[row]
                ckpt = self.train_stage(name, seed)
                results.setdefault(row, []).append(
                    self.test_stage(name, test_cfg, ckpt, seed))
        self.timings['total'] = time.time() - start
        return results

    def contributions(self, name: str) -> Dict[int, List[float]]:
        """``{iteration: [optical share of each seed]}`` logged by a
        step-2 run (``train/contrib_opt``)."""
        curves: Dict[int, List[float]] = {}
        for seed in self.seeds:
            files = sorted(glob.glob(osp.join(
                self.stage_dir(name, seed), '*', 'vis_data', 'scalars.json')))
            if not files:
                continue
            with open(files[-1]) as f:
                for line in f:
                    entry = json.loads(line)
                    if 'contrib_opt' in entry:
                        curves.setdefault(entry['iter'], []).append(
                            entry['contrib_opt'])
        return curves


def results_table(results: Dict[str, List[Dict[str, float]]]) -> str:
    """Markdown table: mean ± std of overall and per-bucket accuracy."""
    head = ['Model', 'runs'] + [f'{m} acc. (%)' if m == 'overall' else
                                f'acc. {m}' for m in METRICS]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for row, runs in results.items():
        cells = [row, str(len(runs))]
        for key in METRICS.values():
            cells.append(mean_std([r[key] for r in runs]))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def save_results(work_dir: str, results: Dict[str, List[Dict[str, float]]],
                 budget: CloudyBudget, timings: Dict[str, float]) -> str:
    """Write ``results.json`` and ``results.md``; returns the markdown."""
    return write_results(work_dir, results, budget, timings,
                         results_table(results))


def row_mean(results: Dict[str, List[Dict[str, float]]], row: str,
             key: str = 'overall') -> float:
    return statistics.mean(r[METRICS[key]] for r in results[row])


def add_budget_args(parser, seeds: Sequence[int] = (0, )) -> None:
    """The data / schedule flags of :class:`CloudyBudget`."""
    d = CloudyBudget()
    parser.add_argument('--data-root', default=f'data/{DATASET}')
    for name in ('num_source', 'num_train', 'num_test', 'img_size',
                 'data_seed', 'epochs', 'source_epochs', 'batch_size'):
        parser.add_argument('--' + name.replace('_', '-'), type=int,
                            default=getattr(d, name))
    parser.add_argument('--lr', type=float, default=d.lr)
    parser.add_argument('--seeds', type=int, nargs='+', default=list(seeds))


def budget_from_args(args) -> CloudyBudget:
    return CloudyBudget(**{
        k: getattr(args, k)
        for k in CloudyBudget.__dataclass_fields__
    })


def demo_main(argv: Optional[Sequence[str]] = None) -> str:
    """``tools/run_demo.py --system cloudy-scene``: generate, train the
    source, the step-1 auxiliaries, step 2 and the baselines, export,
    test, print the table; returns it."""
    return run_system_demo(
        argv, 'cloudy-scene',
        'Cloudy scenes: cloud-free optical source -> optical / SAR '
        'auxiliaries -> two-branch optical + SAR target.',
        CloudySystem, add_budget_args, budget_from_args, save_results)
