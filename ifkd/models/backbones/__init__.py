from .ship_cnn import ShipCNN

__all__ = ['ShipCNN']
