"""Verification: the analyzer's report compared with what the numpy backend measures by running the
spec (compare), rendered as a verdict table or JSON (render), and the `verify` / `erf` commands (command)."""
from .command import LazyProgress
from .compare import SpecVerification, VerificationFailed, verify_spec

__all__ = ["LazyProgress", "SpecVerification", "VerificationFailed", "verify_spec"]
