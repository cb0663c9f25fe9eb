"""The committed stats json must equal what the stats tool computes."""
import json
import os.path as osp

from ifkd.datasets.synthetic import STATS_FILE, load_stats
from tests.conftest import SAMPLE
from .test_voc_parsing import load_tool

# next to the sample in the shared data folder, found relative to the repo
ALL_XML = osp.join(
    osp.dirname(SAMPLE), 'sar-aircraft-1.0-all-annotations.xml')


def test_committed_stats_match_tool(tmp_path, monkeypatch):
    assert osp.isfile(ALL_XML), f'shared SAR-AIRcraft-1.0 XML missing: ' \
        f'{ALL_XML}'
    tool = load_tool('tools/analysis_tools/sar_aircraft_stats.py')
    out = tmp_path / 'stats.json'
    monkeypatch.setattr('sys.argv', ['stats', ALL_XML, '--out', str(out)])
    tool.main()
    fresh = json.load(open(out))
    assert fresh == json.load(open(STATS_FILE))
    # Spot checks against the dataset paper's totals.
    assert fresh['num_images'] == 4368
    assert fresh['num_objects'] == 16463
    assert sum(fresh['class_counts'].values()) == 16463
    assert sum(fresh['image_sizes'].values()) == 4368
    assert sum(fresh['objects_per_image']['hist'].values()) == 4368


def test_stats_are_consistent():
    stats = load_stats()
    assert abs(sum(stats['class_freq'].values()) - 1) < 1e-5
    for name, box in stats['boxes'].items():
        assert 0 < box['rel_w']['p01'] < box['rel_w']['p50'] < box['rel_w'][
            'p99'] < 1, name
        cov = box['log_wh_cov']
        assert cov[0][0] > 0 and cov[0][0] * cov[1][1] > cov[0][1]**2, name
