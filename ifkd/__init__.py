"""ifkd: information-fusion knowledge distillation for remote-sensing
detectors, as an OpenMMLab (mmdet + mmrazor) plugin."""
from . import compat  # noqa: F401  (must run before mmrazor is imported)
from .version import __version__

from . import datasets, engine, evaluation, models  # noqa: F401,E402

__all__ = ['__version__']
