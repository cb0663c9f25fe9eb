from .multi_modal import PackMultiModalInputs

__all__ = ['PackMultiModalInputs']
from .paired import RandomRot90  # noqa: E402,F401
from .sar_optical import (LoadSAROpticalPair,  # noqa: E402
                          PackSegMultiModalInputs, SplitModalities)

__all__ += ['LoadSAROpticalPair', 'PackSegMultiModalInputs', 'SplitModalities']
from .load_sen12ms import LoadSEN12MSPatch  # noqa: E402,F401
