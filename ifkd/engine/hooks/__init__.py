from .sam_cache_hook import SAMCacheHook

__all__ = ['SAMCacheHook']
from .distill_loss_weight_hook import DistillLossWeightHook  # noqa: E402,F401
