from .frs import frs_mask
from .mobile_sam_encoder import MobileSAMEncoder
from .poincare import dist, expmap0, mobius_add, project
from .sam_inputs import embed_valid_hw, sam_resize_shape, to_sam_inputs

__all__ = [
    'frs_mask', 'MobileSAMEncoder', 'dist', 'expmap0', 'mobius_add',
    'project', 'embed_valid_hw', 'sam_resize_shape', 'to_sam_inputs'
]
