"""Importing this package files every kernel in the registry."""
from . import conv, elementwise, pool, reshape  # noqa: F401  (registration side effects)
