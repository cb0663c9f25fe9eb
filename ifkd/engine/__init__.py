from . import hooks  # noqa: F401  (registers SAMCacheHook)
from .checks import check_config
from .export import export_student

__all__ = ['check_config', 'export_student']
from .grad_cam import GradCAM, default_target_layer  # noqa: E402

__all__ += ['GradCAM', 'default_target_layer']
from . import inference  # noqa: E402,F401  (registers LogitFeatureTTA)
