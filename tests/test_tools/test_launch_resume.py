"""``train(resume='auto')``: the work dir's latest checkpoint wins; without
one, a configured ``load_from`` (a fine-tune's weights) is kept."""
import os.path as osp

import pytest

from ifkd.engine import launch
from tests.conftest import config_path

CONFIG = 'sar_ship_cls/shipcnn_1xb32_synthetic-sar-ship.py'


@pytest.fixture
def captured(monkeypatch):
    seen = {}

    class Stop(Exception):
        pass

    def fake_build(cfg):
        seen['cfg'] = cfg
        raise Stop

    monkeypatch.setattr(launch, 'build_runner', fake_build)
    seen['stop'] = Stop
    return seen


def _train(captured, work, **kwargs):
    with pytest.raises(captured['stop']):
        launch.train(config_path(CONFIG), work_dir=str(work), **kwargs)
    return captured['cfg']


def test_auto_resume_keeps_load_from_when_nothing_to_resume(tmp_path,
                                                            captured):
    weights = tmp_path / 'pretrained.pth'
    weights.write_bytes(b'')
    cfg = _train(captured, tmp_path / 'work', resume='auto',
                 cfg_options={'load_from': str(weights)})
    assert cfg.resume is False and cfg.load_from == str(weights)


def test_auto_resume_prefers_the_latest_checkpoint(tmp_path, captured):
    work = tmp_path / 'work'
    work.mkdir()
    ckpt = work / 'epoch_2.pth'
    ckpt.write_bytes(b'x')
    (work / 'last_checkpoint').write_text(str(ckpt))
    cfg = _train(captured, work, resume='auto',
                 cfg_options={'load_from': str(tmp_path / 'pre.pth')})
    # mmengine's runner then resumes the work dir's latest checkpoint
    assert cfg.resume is True and cfg.load_from is None
    from mmengine.runner import runner as runner_module
    assert osp.samefile(runner_module.find_latest_checkpoint(str(work)),
                        ckpt)


def test_auto_resume_without_anything_resumes_as_mmengine_does(tmp_path,
                                                              captured):
    cfg = _train(captured, tmp_path / 'work', resume='auto')
    assert cfg.resume is True and cfg.load_from is None


def test_explicit_resume_path(tmp_path, captured):
    cfg = _train(captured, tmp_path / 'work', resume='some/epoch_3.pth')
    assert cfg.resume is True and cfg.load_from == 'some/epoch_3.pth'
