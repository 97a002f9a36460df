"""Human units: formatting counts (K/M/G) and bytes (KiB/MiB), and parsing them back."""
from __future__ import annotations

import re
from fractions import Fraction

from .bounds import MAX_QUANTITY
from .errors import UsageError

_COUNT_PREFIXES = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}
_BYTE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
# Mantissa (group 1) and exponent (group 2, without the 'e').
_NUMBER = r"([0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE]([+-]?[0-9]+))?"
_MAX_EXPONENT_DIGITS = 2


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


def _quoted(text) -> str:
    """The text as given, in quotes; shortened in the middle when long."""
    text = str(text)
    return f"'{text}'" if len(text) <= 40 else f"'{text[:24]}...{text[-8:]}' ({len(text)} characters)"


def _parse_quantity(text: str | int | float, pattern: str, scales: dict[str, int], what: str,
                    examples: str) -> int:
    """A whole, non-negative number with a unit prefix, at most MAX_QUANTITY; a UsageError otherwise."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        match = re.fullmatch(_NUMBER + r"\s*" + pattern, str(text).strip(), re.IGNORECASE)
        if not match:
            raise UsageError(f"{_quoted(text)} is not {what} (examples: {examples})")
        mantissa, exponent, unit = match.group(1).replace("_", ""), match.group(2), match.group(3)
        # A bounded exponent keeps Fraction from building 10**99999999 (which would hang).
        if exponent is not None and len(exponent.lstrip("+-")) > _MAX_EXPONENT_DIGITS:
            raise UsageError(f"{_quoted(text)}: the exponent may have at most {_MAX_EXPONENT_DIGITS} digits")
        try:
            number = Fraction(mantissa + (f"e{exponent}" if exponent is not None else ""))
        except ValueError:  # a mantissa longer than int() accepts
            raise UsageError(f"{_quoted(text)} is not {what} (examples: {examples})") from None
        number *= scales[(unit or "").upper()]
        if number.denominator != 1:
            raise UsageError(f"{_quoted(text)} is not a whole number ({float(number):g}); "
                             f"{what} must be an integer")
        value = number.numerator
    if value < 0:
        raise UsageError(f"{_quoted(text)} is negative; {what} must be at least 0")
    if value > MAX_QUANTITY:
        raise UsageError(f"{_quoted(text)} is too large: at most 2**63 = {MAX_QUANTITY:,}")
    return value


def parse_count(text: str | int) -> int:
    """'5M', '1.2G', '25_557_032', '300K' -> an integer count (whole, 0..2**63)."""
    return _parse_quantity(text, r"([KMGTP]?)", _COUNT_PREFIXES, "a count",
                           "5M, 1.2G, 25_557_032, 300K")


def parse_bytes(text: str | int) -> int:
    """'100MiB', '1GB', '512 KiB', '2048' -> bytes (whole, 0..2**63)."""
    return _parse_quantity(text, r"([KMGT]I?B|B)?", _BYTE_UNITS, "a memory size",
                           "100MiB, 1GB, 512KiB, 2048")


def parse_size(text: str | None, option: str = "--input-size") -> list[int] | None:
    """'512' or '512x384' or '512,384' -> list of ints (errors name `option`)."""
    if text is None:
        return None
    try:
        sizes = [int(part) for part in text.replace(",", "x").lower().split("x")]
    except ValueError:
        raise UsageError(f"{option} '{text}' must look like 224 or 512x384") from None
    if min(sizes) < 1:
        raise UsageError(f"{option} '{text}' must be positive")
    return sizes
