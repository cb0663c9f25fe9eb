from .ifkd_losses import IFKDFeatLoss, IFKDHeadLoss

__all__ = ['IFKDFeatLoss', 'IFKDHeadLoss']
