from . import algorithms, connectors, distillers, losses  # noqa: F401
