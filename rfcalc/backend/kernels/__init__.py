"""Importing this package files every kernel in the registry; the modules mirror rfcalc/layers/."""
from . import activation, conv, merge, norm, pool, reshape  # noqa: F401  (registration side effects)
