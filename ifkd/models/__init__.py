from . import algorithms, connectors, distillers, losses  # noqa: F401
from . import backbones  # noqa: F401,E402
