"""SAR ship classes, how the real datasets' folders and types map onto them,
and how often each class occurs in the real data.

The three classes are those of the seed study: FUSAR-Ship's top-level
categories ``Cargo``, ``Fishing`` and ``Tanker`` (all their subcategories),
and OpenSARShip's AIS types of the same names. Every other FUSAR-Ship
category is known and left out; a folder that is neither is an error, since
it usually means a wrong ``data_root`` or a renamed folder.
"""
from typing import Dict, Tuple

SHIP_CLASSES = ('Cargo', 'Fishing', 'Tanker')

# The 15 top-level category folders of the FUSAR-Ship 1.0 release.
FUSAR_CATEGORIES = ('Cargo', 'DiveVessel', 'Dredger', 'Fishing',
                    'HighSpeedCraft', 'LawEnforce', 'Other', 'Passenger',
                    'PortTender', 'Reserved', 'SAR', 'Tanker', 'Tug',
                    'Unspecified', 'WingInGrnd')

# Release category (FUSAR folder or OpenSARShip AIS type) -> class name.
FUSAR_CLASS_MAP: Dict[str, str] = {c: c for c in SHIP_CLASSES}
OPENSARSHIP_CLASS_MAP: Dict[str, str] = {c: c for c in SHIP_CLASSES}

# Class shares (Cargo, Fishing, Tanker) of the seed study's test sets. The
# seed's all-Cargo models score exactly the Cargo share as accuracy (FUSAR
# 67.06 %, OpenSARShip 72.14 %); the per-class recalls it reports are
# multiples of 1/n, which gives the counts: FUSAR 1691 / 632 / 199,
# OpenSARShip about 2258 / 57 / 815.
CLASS_FREQUENCIES: Dict[str, Tuple[float, float, float]] = {
    'fusar': (0.6706, 0.2506, 0.0789),
    'opensarship': (0.7214, 0.0182, 0.2604),
    # Both sets pooled (the seed's "mixed" set): 3949 / 689 / 1014.
    'mixed': (0.6987, 0.1219, 0.1794),
    'balanced': (1 / 3, 1 / 3, 1 / 3),
}


def class_frequencies(name: str) -> Tuple[float, ...]:
    """Normalised class shares of a named imbalance profile.

    Args:
        name (str): One of :data:`CLASS_FREQUENCIES`.
    """
    if name not in CLASS_FREQUENCIES:
        raise ValueError(f'unknown class-frequency profile {name!r}; use one '
                         f'of {sorted(CLASS_FREQUENCIES)}')
    freq = CLASS_FREQUENCIES[name]
    return tuple(f / sum(freq) for f in freq)
