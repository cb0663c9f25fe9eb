"""The systems ``tools/run_demo.py --system NAME`` runs, one module each.

Every module exposes ``demo_main(argv)``: generate its synthetic set, train
and test its stages through the functions behind ``tools/train.py`` /
``tools/test.py``, print its table. The detection main job
(``sar-aircraft``) lives in ``tools/run_demo.py`` itself.
"""
import importlib
from typing import Optional, Sequence

# --system name -> module under ifkd.engine.systems
SYSTEMS = {
    'sar-ship': 'sar_ship',
    'eo-sar': 'eo_sar',
    'cloudy-scene': 'cloudy_scene',
    'disoptnet': 'disoptnet',
}


def demo_main(system: str, argv: Optional[Sequence[str]] = None):
    """Run ``system``'s demo with its own command-line flags."""
    module = importlib.import_module(f'{__name__}.{SYSTEMS[system]}')
    return module.demo_main(argv)
