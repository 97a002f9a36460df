"""The numpy execution backend: runs a spec for real, counting what it does, to check the analyzer.

Kernels live in their own registry (`KERNELS`, keyed by layer model class) and never call a layer
model's facts(): output shapes, parameters, operation counts and receptive fields are measured here,
independently, so that the backend can disagree with the analyzer. Importing this package imports
numpy; `rfcalc analyze` never does.
"""
from . import kernels as _kernels  # noqa: F401  (fills the registry)
from .counting import OP_KINDS, OpCounter
from .geometry import KernelError
from .registry import KERNELS, Kernel, bind, kernel_class

__all__ = ["KERNELS", "Kernel", "KernelError", "OP_KINDS", "OpCounter", "bind", "kernel_class"]
