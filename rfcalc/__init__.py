"""rfcalc: receptive field, shapes, parameters, MACs/FLOPs and memory of convolutional networks."""
from .analyzer import analyze
from .errors import RfcalcError, SpecError
from .report import AxisRF, LayerResult, Report, Totals
from .sources import load_spec
from .spec import Spec

__all__ = ["analyze", "load_spec", "Spec", "Report", "LayerResult", "AxisRF", "Totals",
           "RfcalcError", "SpecError"]
__version__ = "0.1.0"
