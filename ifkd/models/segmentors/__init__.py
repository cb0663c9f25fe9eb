from .deeplabv3plus_head import DeepLabV3PlusHead
from .disoptnet import DisOptNet, last_stages
from .scse import SCSEFusionHead, SCSEModule

__all__ = [
    'DeepLabV3PlusHead', 'DisOptNet', 'SCSEFusionHead', 'SCSEModule',
    'last_stages'
]
