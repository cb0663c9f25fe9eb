"""README's upstream workarounds 3-6: each bug is still there upstream, and
ifkd's fix is what removes it. (1 and 2 are in tests/test_compat.py.)"""
import json
import os.path as osp
import re
import subprocess
import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.version import Version

from tests.conftest import REPO, config_path

DETECTOR = 'retinanet/retinanet_r18_fpn_1x_synthetic-sar-aircraft.py'
SETUP = osp.join(REPO, 'tools', 'setup_env.sh')


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, cwd=REPO)


def _requirement_names(path: str) -> set:
    names = set()
    for line in open(path):
        line = line.split('#')[0].strip()
        if line:
            names.add(Requirement(line).name.lower())
    return names


# 3. joblib --------------------------------------------------------------

def test_mmrazor_imports_joblib_without_declaring_it():
    declared = {Requirement(r).name.lower()
                for r in metadata.requires('mmrazor') or []}
    assert 'joblib' not in declared  # the upstream bug
    # without joblib installed, mmrazor's distillation cannot be imported
    proc = _run('import sys; sys.modules["joblib"] = None\n'
                'import ifkd, mmrazor.models')
    last = proc.stderr.strip().splitlines()[-1]
    assert proc.returncode != 0, proc.stderr[-2000:]
    assert last.startswith('ModuleNotFoundError') and 'joblib' in last
    # ifkd's fix: it is declared in the runtime requirements
    assert 'joblib' in _requirement_names(
        osp.join(REPO, 'requirements', 'runtime.txt'))


# 4. torch 2.14 needs setuptools >= 77, mmcv's build < 70 -----------------

def _setup_script() -> str:
    with open(SETUP) as f:
        return f.read()


def test_installed_torch_and_setuptools_satisfy_the_pins():
    script = _setup_script()
    pinned = re.search(r'^TORCH_VERSION=(\S+)$', script, re.M)[1]
    assert Version(metadata.version('torch')).base_version == pinned
    needs = [Requirement(r) for r in metadata.requires('torch')
             if Requirement(r).name == 'setuptools']
    assert needs, 'torch no longer declares setuptools'
    installed = metadata.version('setuptools')
    for req in needs:
        assert req.specifier.contains(installed), (req, installed)
        # the conflict: no setuptools that mmcv's setup.py can use (<70,
        # it imports pkg_resources) satisfies torch
        assert not req.specifier.contains('69.5.1')


def test_mmcv_built_only_in_a_throwaway_venv_and_torch_constrained():
    script = _setup_script()
    lines = [ln.strip() for ln in script.replace('\\\n', ' ').splitlines()
             if not ln.strip().startswith('#')]
    old_setuptools = [ln for ln in lines if 'setuptools<70' in ln]
    assert old_setuptools and all(
        ln.startswith('"$build/venv/bin/python" -m pip install')
        for ln in old_setuptools), old_setuptools
    # every install into .venv by requirement is constrained to the pins
    installs = [ln for ln in lines if ln.startswith('pip_q ')]
    assert len(installs) >= 3
    for ln in installs:
        pins_torch = ln.startswith('pip_q "torch==$TORCH_VERSION"')
        assert pins_torch or '-c "$PINS"' in ln or (
            '--no-deps' in ln and 'whl' in ln), ln
    assert 'torch==%s' in script and '"$TORCH_VERSION"' in script


# 5. the visualizer name --------------------------------------------------

def test_second_runner_logs_into_first_run_without_the_fix(tmp_path):
    """Two runners in one fresh process: with mmdet's fixed visualizer name
    the second reuses the first's visualizer (and log folder); through
    load_config each gets its own."""
    code = f"""
import json
from mmengine.config import Config
from ifkd.engine.launch import build_runner, load_config
path = {config_path(DETECTOR)!r}

def save_dirs(load):
    out = []
    for run in ('a', 'b'):
        runner = build_runner(load(run))
        out.append(runner.visualizer._vis_backends['LocalVisBackend']
                   ._save_dir)
    return out

def fixed(run):
    return load_config(path, work_dir={str(tmp_path)!r} + '/fixed_' + run)

def stock(run):  # what mmengine does without ifkd's fix
    cfg = Config.fromfile(path)
    cfg.work_dir = {str(tmp_path)!r} + '/stock_' + run
    return cfg

print(json.dumps(dict(fixed=save_dirs(fixed), stock=save_dirs(stock))))
"""
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    dirs = json.loads(proc.stdout.strip().splitlines()[-1])
    fixed_a, fixed_b = dirs['fixed']
    stock_a, stock_b = dirs['stock']
    assert f'{tmp_path}/fixed_a/' in fixed_a
    assert f'{tmp_path}/fixed_b/' in fixed_b
    assert f'{tmp_path}/stock_a/' in stock_a
    assert stock_b == stock_a  # the bug: run b logs into run a's folder


# 6. the yapf memo --------------------------------------------------------

def test_runner_formats_the_same_config_twice_without_memo(monkeypatch,
                                                            tmp_path):
    import mmengine.config.config as config_module
    from yapf.yapflib.yapf_api import FormatCode

    from ifkd.compat.config_format import memoize_format_code
    from ifkd.engine.launch import build_runner, load_config
    calls = []

    def counting(source, *args, **kwargs):
        calls.append(source)
        return FormatCode(source, *args, **kwargs)

    # upstream: every print and dump of the config runs yapf again
    monkeypatch.setattr(config_module, 'FormatCode', counting)
    build_runner(load_config(config_path(DETECTOR),
                             work_dir=str(tmp_path / 'raw')))
    assert len(calls) >= 2 and len(set(calls)) == 1
    # with ifkd's memo, yapf runs once per distinct text
    calls.clear()
    monkeypatch.setattr(config_module, 'FormatCode',
                        memoize_format_code(counting))
    build_runner(load_config(config_path(DETECTOR),
                             work_dir=str(tmp_path / 'memo')))
    assert len(calls) == 1
