"""Human units: formatting counts (K/M/G) and bytes (KiB/MiB), and parsing them back."""
from __future__ import annotations

import re
from fractions import Fraction

from .errors import UsageError

_COUNT_PREFIXES = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}
_BYTE_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
_NUMBER = r"([0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?)"


def format_count(value: int | float) -> str:
    """1234567 -> '1.23M'; small values as they are."""
    for prefix, scale in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("K", 10**3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{prefix}" if abs(value) < 100 * scale else f"{value / scale:.0f}{prefix}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def format_bytes(value: int) -> str:
    """Bytes in binary units: 1536 -> '1.5 KiB'."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}" if value < 100 * scale else f"{value / scale:.0f} {unit}"
    return f"{value} B"


def format_fraction(value: Fraction | None) -> str:
    """Exact rationals: integers as integers, halves/quarters/eighths as decimals, else 'p/q'."""
    if value is None:
        return "-"
    if value.denominator == 1:
        return str(value.numerator)
    if value.denominator in (2, 4, 8):
        return f"{float(value):g}"
    return f"{value.numerator}/{value.denominator}"


def parse_count(text: str | int) -> int:
    """'5M', '1.2G', '25_557_032', '300K' -> an integer count."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    match = re.fullmatch(_NUMBER + r"\s*([KMGTP]?)", str(text).strip(), re.IGNORECASE)
    if not match:
        raise UsageError(f"'{text}' is not a count (examples: 5M, 1.2G, 25_557_032, 300K)")
    number = Fraction(match.group(1).replace("_", ""))
    return int(number * _COUNT_PREFIXES[match.group(2).upper()])


def parse_bytes(text: str | int) -> int:
    """'100MiB', '1GB', '512 KiB', '2048' -> bytes."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    match = re.fullmatch(_NUMBER + r"\s*([KMGT]I?B|B)?", str(text).strip(), re.IGNORECASE)
    if not match:
        raise UsageError(f"'{text}' is not a memory size (examples: 100MiB, 1GB, 512KiB, 2048)")
    number = Fraction(match.group(1).replace("_", ""))
    return int(number * _BYTE_UNITS[(match.group(2) or "B").upper()])
