from .multi_modal import PackMultiModalInputs

__all__ = ['PackMultiModalInputs']
