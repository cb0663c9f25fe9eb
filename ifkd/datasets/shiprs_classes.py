"""ShipRSImageNet class hierarchy (pure python, no mmdet import).

ShipRSImageNet (Zhang et al., IEEE JSTARS 2021) labels every ship on four
levels of a class tree. The official ``VOC_Format`` annotation of an object
holds ``<name>`` (the level-3 type name), ``<difficult>``, ``<polygon>``
(``x1..y4``), ``<bndbox>``, ``<Ship_area>`` and ``<level_0>`` ...
``<level_3>``. The level fields hold the **1-based index** of the object's
class in the lists below (the authors' devkit reads them as
``category_id = int(level_N)``). The class lists and their order are the
ones of the official benchmark code (zzndream/ShipRSImageNet); the paper
reports results on level 3.

Split files live in ``ImageSets/{train,val,test}.txt`` and list image file
names with their ``.bmp`` extension.
"""
from typing import Tuple

from .voc_parsing import NameGetter, level_name_getter

SHIPRS_LEVEL0_CLASSES = ('Ship', 'Dock')

SHIPRS_LEVEL1_CLASSES = ('Other Ship', 'Warship', 'Merchant', 'Dock')

SHIPRS_LEVEL2_CLASSES = (
    'Other Ship', 'Other Warship', 'Submarine', 'Aircraft Carrier', 'Cruiser',
    'Destroyer', 'Frigate', 'Patrol', 'Landing', 'Commander',
    'Auxiliary Ships', 'Other Merchant', 'Container Ship', 'RoRo', 'Cargo',
    'Barge', 'Tugboat', 'Ferry', 'Yacht', 'Sailboat', 'Fishing Vessel',
    'Oil Tanker', 'Hovercraft', 'Motorboat', 'Dock')

SHIPRS_LEVEL3_CLASSES = (
    'Other Ship', 'Other Warship', 'Submarine', 'Other Aircraft Carrier',
    'Enterprise', 'Nimitz', 'Midway', 'Ticonderoga', 'Other Destroyer',
    'Atago DD', 'Arleigh Burke DD', 'Hatsuyuki DD', 'Hyuga DD', 'Asagiri DD',
    'Other Frigate', 'Perry FF', 'Patrol', 'Other Landing', 'YuTing LL',
    'YuDeng LL', 'YuDao LL', 'YuZhao LL', 'Austin LL', 'Osumi LL', 'Wasp LL',
    'LSD 41 LL', 'LHA LL', 'Commander', 'Other Auxiliary Ship',
    'Medical Ship', 'Test Ship', 'Training Ship', 'AOE', 'Masyuu AS',
    'Sanantonio AS', 'EPF', 'Other Merchant', 'Container Ship', 'RoRo',
    'Cargo', 'Barge', 'Tugboat', 'Ferry', 'Yacht', 'Sailboat',
    'Fishing Vessel', 'Oil Tanker', 'Hovercraft', 'Motorboat', 'Dock')

SHIPRS_CLASSES = {
    0: SHIPRS_LEVEL0_CLASSES,
    1: SHIPRS_LEVEL1_CLASSES,
    2: SHIPRS_LEVEL2_CLASSES,
    3: SHIPRS_LEVEL3_CLASSES,
}


def shiprs_classes(level: int) -> Tuple[str, ...]:
    """Return the ShipRSImageNet class names of ``level`` (0..3)."""
    if level not in SHIPRS_CLASSES:
        raise ValueError(
            f'ShipRSImageNet level must be one of {sorted(SHIPRS_CLASSES)} '
            f'(2/4/25/50 classes), got {level!r}; the paper uses level=3.')
    return SHIPRS_CLASSES[level]


def shiprs_name_getter(level: int) -> NameGetter:
    """Return a name getter reading ``<level_{level}>`` of each object."""
    return level_name_getter(f'level_{level}', shiprs_classes(level))
