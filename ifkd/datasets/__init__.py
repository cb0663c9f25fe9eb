from .sar_aircraft import SARAircraftDataset
from .shiprs import ShipRSImageNetDataset
from .shiprs_classes import SHIPRS_CLASSES, shiprs_classes
from .voc_parsing import (SAR_AIRCRAFT_CLASSES, VOCFormatError,
                          load_voc_split, parse_voc_xml, records_to_coco,
                          voc_split_to_coco)
from .voc_split_coco import VOCSplitCocoMixin

__all__ = [
    'SARAircraftDataset', 'ShipRSImageNetDataset', 'VOCSplitCocoMixin',
    'SAR_AIRCRAFT_CLASSES', 'SHIPRS_CLASSES', 'shiprs_classes',
    'VOCFormatError', 'parse_voc_xml', 'load_voc_split', 'records_to_coco',
    'voc_split_to_coco'
]
from .fusar_ship import FUSARShipDataset  # noqa: E402
from .opensarship import OpenSARShipDataset  # noqa: E402
from .samplers import InverseFrequencySampler  # noqa: E402
from .ship_chips import MixedShipDataset  # noqa: E402
from .ship_classes import SHIP_CLASSES  # noqa: E402

__all__ += [
    'FUSARShipDataset', 'OpenSARShipDataset', 'MixedShipDataset',
    'InverseFrequencySampler', 'SHIP_CLASSES'
]
from . import transforms  # noqa: F401,E402
from .paired_eo_sar import EOSARTestDataset, PairedEOSARDataset  # noqa: E402,F401
from .spacenet6 import SpaceNet6Dataset, SpaceNet6Error  # noqa: E402

__all__ += ['SpaceNet6Dataset', 'SpaceNet6Error']
from .sen12ms import SEN12MSDataset  # noqa: E402,F401
