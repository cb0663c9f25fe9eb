from .context import DistillContext
from .ifkd_distiller import IFKDDistiller

__all__ = ['DistillContext', 'IFKDDistiller']
