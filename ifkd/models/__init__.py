from . import algorithms, connectors, distillers, losses  # noqa: F401
from . import data_preprocessors  # noqa: F401,E402
from . import backbones  # noqa: F401,E402
from . import segmentors  # noqa: F401,E402
from . import classifiers, fusion  # noqa: F401,E402
