"""Train / export / test stages on the built-in synthetic set, shared by
``tools/run_demo.py`` and ``tools/analysis_tools/synthetic_results.py``.

Every stage calls the functions behind ``tools/train.py``, ``tools/test.py``
and ``export_student.py`` in the calling process, so the libraries are
imported once and MobileSAM is built once. A stage whose output exists is
skipped, so an interrupted run picks up where it stopped.
"""
import json
import math
import os
import os.path as osp
import re
import shutil
import time
import warnings
from dataclasses import asdict, dataclass, replace
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ifkd.datasets.synthetic import (GENERATOR_FILE, generate_dataset,
                                     generator_args)
from ifkd.engine.export import export_student
from ifkd.engine.launch import test, train

DATASET = 'synthetic-sar-aircraft'
DETECTOR_DIRS = {'retinanet': 'retinanet', 'faster-rcnn': 'faster_rcnn'}
# COCO mAP over each image's top 100 detections, without the usual 0.05
# score cut-off, which would hide what short runs have learned.
SCORE_THR = {
    'retinanet': 'model.test_cfg.score_thr',
    'faster-rcnn': 'model.test_cfg.rcnn.score_thr'
}
DISTILL_RE = re.compile(r'^(?P<method>[a-z0-9-]+?)_(?P<det>retinanet|'
                        r'faster-rcnn)_r50-(?P<student>[a-z0-9]+)_fpn_1x_'
                        rf'{DATASET}$')


@dataclass
class SyntheticBudget:
    """The data and schedule of a synthetic run (all stages share it).

    Args:
        num_train (int): Generated train images.
        num_test (int): Generated test images.
        img_size (int): Side of the images and of the resize.
        scene_size (int): Aircraft are as many px wide as in a scene of
            this side (see ``generate_dataset``).
        epochs (int): Epochs of every training stage but the teachers'.
        batch_size (int): Training batch size.
        seed (int, optional): ``randomness.seed`` of every stage, so that
            a re-run on the same machine reproduces the table; None leaves
            runs unseeded (mmengine's default).
        teacher_epochs (int, optional): Epochs of the teachers, when they
            train longer than the students (the usual KD setting); None
            trains them for ``epochs`` too.
    """
    num_train: int = 16
    num_test: int = 8
    img_size: int = 128
    scene_size: int = 512
    epochs: int = 12
    batch_size: int = 4
    seed: Optional[int] = 0
    teacher_epochs: Optional[int] = None

    def for_teacher(self) -> 'SyntheticBudget':
        """The budget of the teacher stages."""
        return replace(self, epochs=self.teacher_epochs or self.epochs,
                       teacher_epochs=None)

    @property
    def iters(self) -> int:
        return -(-self.num_train // self.batch_size) * self.epochs

    @property
    def checkpoint(self) -> str:
        return f'epoch_{self.epochs}.pth'

    def describe(self) -> str:
        return (f'{self.num_train} train / {self.num_test} test images of '
                f'{self.img_size} px (scene {self.scene_size} px), '
                f'{self.epochs} epochs of batch {self.batch_size} '
                f'({self.iters} iterations) from scratch'
                + ('' if not self.teacher_epochs else
                   f', teachers {self.teacher_epochs} epochs '
                   f'({self.for_teacher().iters} iterations)')
                + ('' if self.seed is None else f', seed {self.seed}'))


def ensure_data(data_root: str, budget: SyntheticBudget,
                guard_dir: Optional[str] = None) -> None:
    """Generate the set unless ``data_root`` already holds it with the
    budget's settings. Refuses to replace data that the results in
    ``guard_dir`` were made from."""
    gen = generator_args(
        num_train=budget.num_train,
        num_test=budget.num_test,
        img_size=budget.img_size,
        scene_size=budget.scene_size)
    ensure_generated(data_root, GENERATOR_FILE, gen,
                     lambda: generate_dataset(data_root, **gen), guard_dir)


def ensure_generated(data_root: str, settings_file: str, want: dict,
                     generate: Callable[[], None],
                     guard_dir: Optional[str] = None,
                     needs: Sequence[str] = ()) -> None:
    """Run ``generate()`` unless ``data_root`` already holds a set made
    with the settings ``want``.

    Args:
        data_root (str): The generated set's folder (replaced if stale).
        settings_file (str): The generator's record of its settings, a JSON
            file name inside ``data_root``.
        want (dict): The settings this run needs (a subset of the record).
        generate (callable): Writes the set (and anything derived).
        guard_dir (str, optional): A work dir whose results were made from
            the set: replacing the set under it is refused.
        needs (Sequence[str]): Files inside ``data_root`` that a finished
            set also has (derived files, written after the generator).
    """
    made_with = osp.join(data_root, settings_file)
    if osp.isfile(made_with) and all(
            osp.isfile(osp.join(data_root, n)) for n in needs):
        with open(made_with) as f:
            have = json.load(f)
        if all(have.get(k) == v for k, v in want.items()):
            return
    if guard_dir and osp.isdir(guard_dir) and os.listdir(guard_dir):
        raise RuntimeError(
            f'{data_root} is missing or was generated with other settings '
            f'than {want}, and {guard_dir} holds results made from it: move '
            f'{guard_dir} away (or pass another work dir) first.')
    print(f'== generating {data_root}: {want}', flush=True)
    shutil.rmtree(data_root, ignore_errors=True)
    generate()


def ensure_sam_checkpoint(path: str, work_dir: str) -> str:
    """``path`` if it exists, else an untrained MobileSAM ``vit_t`` saved in
    ``work_dir`` (with a loud warning), so the pipeline runs offline."""
    if osp.isfile(path):
        return path
    out = osp.join(work_dir, 'mobile_sam_untrained.pt')
    if not osp.isfile(out):
        import torch
        with warnings.catch_warnings():  # timm deprecation noise
            warnings.simplefilter('ignore')
            from mobile_sam import sam_model_registry
        os.makedirs(work_dir, exist_ok=True)
        torch.manual_seed(0)
        torch.save(sam_model_registry['vit_t']().state_dict(), out)
    print(f'WARNING: {path} not found; using an UNTRAINED MobileSAM saved to '
          f'{out}. EDE then perturbs with untrained features: put the real '
          'weights (mobile_sam.pt) there for meaningful results.')
    return out


def stage_options(data_root: str, budget: SyntheticBudget) -> dict:
    """``--cfg-options`` shared by every stage: data, size and schedule."""
    root = data_root.rstrip('/') + '/'
    size = (budget.img_size, budget.img_size)
    opts = {
        'train_cfg.max_epochs': budget.epochs,
        'train_dataloader.batch_size': budget.batch_size,
        'train_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
        'test_evaluator.data_root': root,
        'train_dataloader.dataset.pipeline.2.scale': size,
        'test_dataloader.dataset.pipeline.1.scale': size,
        # Warm up over the first fifth; LR steps at 2/3 and 11/12 of the
        # run, as at epochs 8 and 11 of the 1x schedule. The step schedule
        # must span the whole run: past its `end` it stops stepping.
        'param_scheduler.0.end': max(1, budget.iters // 5),
        'param_scheduler.1.end': budget.epochs,
        'param_scheduler.1.milestones': [
            max(1, budget.epochs * 2 // 3),
            max(1, budget.epochs * 11 // 12)
        ],
        # The test stage evaluates: no validation, one checkpoint.
        'val_cfg': None,
        'val_dataloader': None,
        'val_evaluator': None,
        'default_hooks.checkpoint.interval': budget.epochs,
        'default_hooks.logger.interval': 10,
    }
    if budget.seed is not None:
        opts['randomness.seed'] = budget.seed
    return opts


def config_path(name: str) -> str:
    """Config file of a synthetic-set config name (plain or distilled)."""
    m = DISTILL_RE.match(name)
    if m:
        folder = 'ablations' if m['method'].startswith('at-') else (
            'ifkd' if m['method'] == 'ifkd' else 'baselines')
        return osp.join('configs', folder, name + '.py')
    det = name.split('_')[0]
    return osp.join('configs', DETECTOR_DIRS[det], name + '.py')


def student_of(name: str) -> str:
    """The undistilled student config name of a distillation config."""
    m = DISTILL_RE.match(name)
    return f"{m['det']}_{m['student']}_fpn_1x_{DATASET}"


def teacher_of(name: str) -> str:
    m = DISTILL_RE.match(name)
    return f"{m['det']}_r50_fpn_1x_{DATASET}"


def train_stage(name: str, work_root: str, options: dict,
                budget: SyntheticBudget,
                extra: Optional[Dict] = None) -> Optional[float]:
    """Train config ``name`` into ``work_root/name``; returns the seconds
    it took, or None when its final checkpoint already existed."""
    work = osp.join(work_root, name)
    if osp.isfile(osp.join(work, budget.checkpoint)):
        return None
    print(f'== training {name}', flush=True)
    start = time.time()
    runner = train(config_path(name), work, resume='auto',
                   cfg_options={**options, **(extra or {})})
    loss = runner.message_hub.get_scalar('train/loss').current()
    if not math.isfinite(loss):
        # Its checkpoint would test as mAP 0 and pass for a result.
        os.replace(osp.join(work, budget.checkpoint),
                   osp.join(work, 'diverged_' + budget.checkpoint))
        raise RuntimeError(
            f'{name} diverged (final training loss {loss}); its results '
            f'would be meaningless. Lower its learning rate or clip its '
            f'gradients (optim_wrapper.clip_grad), then run again.')
    return time.time() - start


def test_stage(name: str, work_root: str, options: dict,
               budget: SyntheticBudget) -> str:
    """Evaluate what ``name`` trained into ``work_root/test/name``, which
    ``collect_results.py`` identifies by its name. A distilled student is
    exported first and tested with its own detector config."""
    work = osp.join(work_root, name)
    weights = osp.join(work, budget.checkpoint)
    cfg = name
    if DISTILL_RE.match(name):
        student = osp.join(work, 'student_' + budget.checkpoint)
        if not osp.isfile(student):
            export_student(weights, student)
        weights, cfg = student, student_of(name)
    out = osp.join(work_root, 'test', name)
    print(f'== testing {name}', flush=True)
    test(config_path(cfg), weights, out,
         cfg_options={**options, SCORE_THR[cfg.split('_')[0]]: 0.0})
    return out


def distill_extra(name: str, work_root: str, budget: SyntheticBudget,
                  sam_checkpoint: str) -> dict:
    """Options pointing a distillation config at its trained teacher, the
    MobileSAM weights and a shared MobileSAM cache."""
    return {
        'model.teacher_ckpt':
        osp.join(work_root, teacher_of(name),
                 budget.for_teacher().checkpoint),
        'model.distiller.sam_checkpoint': sam_checkpoint,
        'model.distiller.sam_cache.dir': osp.join(work_root, 'sam_cache'),
        # Ramp every method's distillation losses in over the same first
        # fifth of the run as the learning rate.
        'model.distiller.warmup_iters': max(1, budget.iters // 5),
    }


def is_teacher(name: str) -> bool:
    """A teacher config (the r50 of a distillation name is its teacher)."""
    return '_r50_' in name and not DISTILL_RE.match(name)


def stage_budget(name: str, budget: SyntheticBudget) -> SyntheticBudget:
    """The budget of stage ``name``: a teacher's may be longer."""
    return budget.for_teacher() if is_teacher(name) else budget


def run_stages(names: List[str], work_root: str, data_root: str,
               budget: SyntheticBudget,
               sam_checkpoint: str) -> Tuple[Dict[str, float], List[str]]:
    """Train (teachers first) and test the synthetic-set configs ``names``.

    Returns:
        tuple: the training seconds of each stage, also of those trained by
        an earlier call (recorded in ``work_root/timings.json``), and the
        test output directories in the order of ``names``.
    """
    record = osp.join(work_root, 'timings.json')
    timings = {}
    if osp.isfile(record):
        with open(record) as f:
            timings = json.load(f)
    own = {n: stage_budget(n, budget) for n in names}
    options = {n: stage_options(data_root, own[n]) for n in names}
    # Teachers first: every distillation config needs its own.
    for name in sorted(names, key=lambda n: not is_teacher(n)):
        extra = (distill_extra(name, work_root, budget, sam_checkpoint)
                 if DISTILL_RE.match(name) else None)
        took = train_stage(name, work_root, options[name], own[name], extra)
        if took is not None:
            timings[name] = took
            with open(record, 'w') as f:
                json.dump(timings, f, indent=1)
    test_dirs = [
        test_stage(n, work_root, options[n], own[n]) for n in names
    ]
    return {n: timings[n] for n in names if n in timings}, test_dirs


def save_budget(work_root: str, budget: SyntheticBudget) -> None:
    """Record the budget of ``work_root``'s stages. A work dir recorded
    with another budget is refused: its finished stages would be skipped and
    mixed into the new table."""
    path = osp.join(work_root, 'budget.json')
    new = asdict(budget)
    if osp.isfile(path):
        with open(path) as f:
            old = json.load(f)
        changed = [
            f'{k} {old.get(k)} -> {new.get(k)}'
            for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)
        ]
        if changed:
            raise RuntimeError(
                f'{work_root} holds stages trained with another budget '
                f'({", ".join(changed)}); they would be reused as finished. '
                f'Pass another work dir, or move {work_root} away.')
        return
    os.makedirs(work_root, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(new, f)
