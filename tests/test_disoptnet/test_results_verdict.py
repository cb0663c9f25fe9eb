"""The DisOptNet results tool's generated verdict on constructed runs."""
from tools.analysis_tools.disoptnet_results import verdict


def _runs(*dice):
    return [{'building/dice': d} for d in dice]


def test_verdict_against_baseline_and_no_teacher_row():
    results = {
        'Teacher': _runs(80.),
        'SAR-only': _runs(60., 64.),  # mean 62, std 2.83
        'DisOptNet, no teacher': _runs(61., 63.),  # mean 62, std 1.41
        'DisOptNet': _runs(70., 72.),  # +9 over both
        'DisOptNet + IFKD': _runs(62., 64.),  # +1: within both stds
    }
    text = verdict(results)
    assert 'the optical teacher 80.0 %, the SAR-only baseline 62.0 %' in text
    assert ('DisOptNet architecture, no teacher (SAR) is within one '
            'baseline std of the SAR-only baseline (+0.0 Dice)') in text
    assert ('DisOptNet student (SAR) beats the SAR-only baseline '
            '(+9.0 Dice)') in text
    assert ('the teacher, DisOptNet student (SAR) beats it (+9.0 Dice)'
            in text)
    assert ('the teacher, DisOptNet + IFKD (HSM, FDR) (SAR) is within one '
            'std of it (+1.0 Dice)') in text
