"""Config preparation and runner entry points behind ``tools/train.py`` and
``tools/test.py``; tests and the demo call them in-process."""
import os.path as osp
import uuid
from typing import Optional

from mmengine.config import Config, ConfigDict
from mmengine.device import get_device
from mmengine.runner import Runner

from ifkd.engine.checks import check_config


def load_config(config: str,
                work_dir: Optional[str] = None,
                cfg_options: Optional[dict] = None,
                launcher: str = 'none') -> Config:
    """Load a config and apply the usual CLI overrides.

    Args:
        config (str): Config file path.
        work_dir (str, optional): Overrides ``cfg.work_dir``; defaults to
            ``./work_dirs/<config name>`` when the config sets none.
        cfg_options (dict, optional): ``--cfg-options`` key/values.
        launcher (str): ``none``, ``pytorch``, ``slurm`` or ``mpi``.
    """
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    # mmengine reuses a visualizer of the same name, so a fixed name (or its
    # default, the config name and start second) makes a later run in the
    # same process log into the first run's folder: name each run uniquely.
    if cfg.get('visualizer', None) is not None:
        stem = osp.splitext(osp.basename(config))[0]
        cfg.visualizer.name = f'{stem}_{uuid.uuid4().hex[:12]}'
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


def use_amp(cfg: Config) -> None:
    """Switch ``cfg`` to mixed precision (fp16 with dynamic loss scaling).

    mmengine's ``AmpOptimWrapper`` asserts a GPU/NPU/MLU device; this fails
    first, with the fix, instead of deep inside the runner's build.
    """
    if get_device() == 'cpu':
        raise RuntimeError(
            '--amp needs a CUDA (or NPU/MLU) device, and none is available: '
            "mmengine's AmpOptimWrapper does not run on CPU. Train without "
            '--amp here.')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.loss_scale = 'dynamic'


def scores_csv_in_work_dir(cfg: Config, config: str) -> None:
    """Have ``ifkd.ClassificationMetric`` write its ``scores.csv`` into the
    work dir (the metric cannot see it), named after the config, unless the
    config already says where."""
    evaluators = cfg.get('test_evaluator', [])
    for metric in evaluators if isinstance(evaluators, list) else [evaluators]:
        if metric.get('type') not in ('ifkd.ClassificationMetric',
                                      'ClassificationMetric'):
            continue
        if metric.get('scores_csv') is None:
            metric['scores_csv'] = osp.join(cfg.work_dir, 'scores.csv')
        if not metric.get('model_name'):
            metric['model_name'] = osp.splitext(osp.basename(config))[0]


def build_runner(cfg: Config) -> Runner:
    """Validate the config, then build the runner it asks for."""
    check_config(cfg)
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def train(config: str,
          work_dir: Optional[str] = None,
          resume: Optional[str] = None,
          amp: bool = False,
          cfg_options: Optional[dict] = None,
          launcher: str = 'none'):
    """Train from a config; returns the runner after training.

    Args:
        resume (str, optional): ``'auto'`` resumes from the latest
            checkpoint in the work dir (if there is none, training starts as
            configured, from ``load_from`` if set); a path resumes from that
            file.
        amp (bool): Use ``AmpOptimWrapper`` with dynamic loss scaling.
    """
    cfg = load_config(config, work_dir, cfg_options, launcher)
    if amp:
        use_amp(cfg)
    if resume == 'auto':
        # Resume the work dir's latest checkpoint; with none yet, start as
        # configured (a fine-tune keeps its `load_from` weights).
        from mmengine.runner import runner as runner_module
        if runner_module.find_latest_checkpoint(cfg.work_dir) is None \
                and cfg.get('load_from'):
            cfg.resume = False
        else:  # the runner finds the latest checkpoint itself
            cfg.resume = True
            cfg.load_from = None
    elif resume is not None:
        cfg.resume = True
        cfg.load_from = resume
    runner = build_runner(cfg)
    runner.train()
    return runner


def test(config: str,
         checkpoint: str,
         work_dir: Optional[str] = None,
         out: Optional[str] = None,
         show: bool = False,
         show_dir: Optional[str] = None,
         wait_time: float = 2.,
         cfg_options: Optional[dict] = None,
         launcher: str = 'none') -> dict:
    """Evaluate ``checkpoint``; returns the metrics dict."""
    cfg = load_config(config, work_dir, cfg_options, launcher)
    cfg.load_from = checkpoint
    scores_csv_in_work_dir(cfg, config)
    if show or show_dir:
        from mmdet.engine.hooks.utils import trigger_visualization_hook
        cfg = trigger_visualization_hook(
            cfg, ConfigDict(show=show, show_dir=show_dir, wait_time=wait_time))
    runner = build_runner(cfg)
    if out is not None:
        if not out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must be a .pkl file, got {out!r}.')
        from mmdet.evaluation import DumpDetResults
        runner.test_evaluator.metrics.append(
            DumpDetResults(out_file_path=out))
    return runner.test()
