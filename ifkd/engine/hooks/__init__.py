from .sam_cache_hook import SAMCacheHook

__all__ = ['SAMCacheHook']
