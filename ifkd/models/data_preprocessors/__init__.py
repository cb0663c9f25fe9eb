from .multi_modal import MultiModalDataPreprocessor

__all__ = ['MultiModalDataPreprocessor']
