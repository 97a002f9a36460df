"""The symbols of each notation a course may use: the lecture notes' own (H_in, H_K, P, S, C_in, C_out;
r, j, start), cs231n's (W_1, F, S, P, D_1, K), Dumoulin and Visin's conv_arithmetic (i, k, s, p, o),
d2l.ai's (n_h, k_h, p_h as the total padding, s_h) and Araujo et al.'s Distill article (k_l, s_l,
p_l and q_l, r_0, S_0, P_0).

A template is `base_sub^sup`; in it `{A}` is the axis letter (H, W), `{a}` the same in lower case
and `{#}` the axis number (1, 2). With a `?` (`{A?}`, `{,a?}`) the part appears only when a step is
about one axis of several whose numbers differ; a step covering every axis at once (a square
kernel on a square input) leaves it out, as the notes write S rather than S_H.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from ..errors import UsageError
from .mathexpr import Namer, Symbol

# Symbols every notation shares unless it names them otherwise.
_COMMON = {
    "g": "g", "batch": "B", "bytes": "bytes", "L": "L", "m": "m",
    "f_in": "N_in", "f_out": "N_out", "scale": "scale_{A?}", "inputs": "n",
    "p_eq": "P'", "step": "advance", "period": "period", "total": "total",
    "tiles": "T", "c": "C", "m_depth": "m",
    "ops_add": "add", "ops_mul": "mul", "ops_div": "div", "ops_cmp": "cmp", "ops_exp": "exp",
    "params": "params", "buffers": "buffers", "macs": "MACs", "flops": "FLOPs", "memory": "memory",
}


@dataclass(frozen=True)
class Notation:
    """One course's symbols and its way of writing the output-size formula."""

    key: str
    title: str
    symbols: Mapping[str, str]
    axis_letters: Mapping[int, tuple[str, ...]]
    size_form: str  # "then-floor" (cs231n: (W - F + 2P)/S + 1, floored after), "floor", "d2l", "distill"
    rf_offset: str  # third RF quantity: "start" (centre of unit 0) or "padding" (Distill's P_0)
    closed_indices: tuple[str, str]  # the closed form's sum index and product range

    def template(self, name: str) -> str:
        """The template of a symbol name (KeyError for an unknown one: a bug in a derivation)."""
        return self.symbols.get(name) or _COMMON[name]

    def letters(self, ndim: int) -> tuple[str, ...]:
        """Axis letters for a tensor with `ndim` spatial axes."""
        return self.axis_letters.get(ndim) or tuple(f"X{i}" for i in range(ndim))

    def namer(self, axes: tuple[int, ...], ndim: int) -> Namer:
        """How symbols are written in a step about `axes` (all of them: the optional parts vanish)."""
        letters = self.letters(ndim)
        specific = len(axes) < ndim

        def name(symbol: str, index: str = "") -> Symbol:
            forced = None
            if "@" in symbol:  # k@1: the symbol of one named axis (kernel sizes multiplied out)
                symbol, axis_text = symbol.split("@")
                forced = int(axis_text)
            axis = forced if forced is not None else (axes[0] if axes else 0)
            letter = letters[axis] if axis < len(letters) else "X"
            shown = specific or forced is not None
            return _symbol(self.template(symbol), letter, axis + 1, shown, index)

        return name


_PLACEHOLDER = re.compile(r"\{(,?)([Aa#])(\??)\}")


def _symbol(template: str, letter: str, number: int, shown: bool, index: str) -> Symbol:
    """Fill a template's placeholders and split it into base, subscript and superscript."""
    def fill(match: re.Match) -> str:
        comma, kind, optional = match.groups()
        if optional and not shown:
            return ""
        value = {"A": letter.upper(), "a": letter.lower(), "#": str(number)}[kind]
        return comma + value

    text = _PLACEHOLDER.sub(fill, template)
    base, _, sup = text.partition("^")
    base, _, sub = base.partition("_")
    if index:
        sub = f"{sub},{index}" if sub else index
    return Symbol(base, sub.strip(","), sup)


# The symbols that differ between notations, side by side (one column per notation, in KEYS order).
KEYS = ("notes", "cs231n", "dumoulin", "d2l", "distill")
_TABLE: dict[str, tuple[str, str, str, str, str]] = {
    #             the notes      cs231n         Dumoulin        d2l.ai        Distill
    "n_in":     ("{A}_in",      "{A}_1",       "i_{#?}",       "n_{a}",      "{a}_l-1"),
    "n_out":    ("{A}_out",     "{A}_2",       "o_{#?}",       "n'_{a}",     "{a}_l"),
    "k":        ("{A}_K",       "F_{A?}",      "k_{#?}",       "k_{a}",      "k_l{,a?}"),
    "s":        ("S_{A?}",      "S_{A?}",      "s_{#?}",       "s_{a}",      "s_l{,a?}"),
    "p":        ("P_{A?}",      "P_{A?}",      "p_{#?}",       "p_{a},l",    "p_l{,a?}"),
    "p_l":      ("P_l{,A?}",    "P_l{,A?}",    "p_l{,#?}",     "p_{a},l",    "p_l{,a?}"),
    "p_r":      ("P_r{,A?}",    "P_r{,A?}",    "p_r{,#?}",     "p_{a},r",    "q_l{,a?}"),
    "p_total":  ("P_tot{,A?}",  "P_tot{,A?}",  "p_tot{,#?}",   "p_{a}",      "(p+q)_l{,a?}"),
    "d":        ("D_{A?}",      "d_{A?}",      "d_{#?}",       "d_{a}",      "α_l{,a?}"),
    "k_eff":    ("{A}_K,eff",   "F_eff{,A?}",  "k^_{#?}",      "k_{a},eff",  "k^_l{,a?}"),
    "a":        ("a_{A?}",      "a_{A?}",      "a_{#?}",       "a_{a}",      "a_l{,a?}"),
    "c_in":     ("C_in",        "D_1",         "C_in",         "c_i",        "d_l-1"),
    "c_out":    ("C_out",       "K",           "C_out",        "c_o",        "d_l"),
    "r_in":     ("r_in",        "r_in",        "r_in",         "r_in",       "r_0^(l-1)"),
    "r_out":    ("r_out",       "r_out",       "r_out",        "r_out",      "r_0^(l)"),
    "j_in":     ("j_in",        "j_in",        "j_in",         "j_in",       "S_0^(l-1)"),
    "j_out":    ("j_out",       "j_out",       "j_out",        "j_out",      "S_0^(l)"),
    "start_in": ("start_in",    "start_in",    "start_in",     "start_in",   "P_0^(l-1)"),
    "start_out": ("start_out",  "start_out",   "start_out",    "start_out",  "P_0^(l)"),
    "r":        ("r_L",         "r_L",         "r_L",          "r_L",        "r_0"),
    "j":        ("j_L",         "j_L",         "j_L",          "j_L",        "S_0"),
    "k_sum":    ("{A}_K,l",     "F_i",         "k_i",          "k_i",        "k_l"),
    "s_prod":   ("S_i",         "S_j",         "s_j",          "s_j",        "s_i"),
}
_TITLES = {
    "notes": "the lecture notes (H_in, H_K, P, S, C_in, C_out; r, j, start)",
    "cs231n": "cs231n (W_1, F, S, P -> W_2; depth D_1, K filters)",
    "dumoulin": "Dumoulin & Visin, A guide to convolution arithmetic (i, k, s, p -> o)",
    "d2l": "d2l.ai (n_h, k_h, p_h = total padding, s_h; c_i -> c_o)",
    "distill": "Araujo, Norris & Sim, Computing receptive fields (Distill 2019): k_l, s_l, p_l, q_l; r_0, S_0, P_0",
}
_UPPER = {1: ("W",), 2: ("H", "W"), 3: ("D", "H", "W")}
_LOWER = {n: tuple(letter.lower() for letter in letters) for n, letters in _UPPER.items()}
_FORMS = {  # key: (axis letters, size form, RF offset, closed-form indices)
    "notes": (_UPPER, "then-floor", "start", ("l", "i<l")),
    "cs231n": ({**_UPPER, 3: ("T", "H", "W")}, "then-floor", "start", ("i", "j<i")),  # D_1 is cs231n's depth
    "dumoulin": (_UPPER, "floor", "start", ("i", "j<i")),
    "d2l": (_LOWER, "d2l", "start", ("i", "j<i")),
    "distill": (_LOWER, "distill", "padding", ("l", "i<l")),
}


def _make(key: str) -> Notation:
    column = KEYS.index(key)
    letters, size_form, offset, indices = _FORMS[key]
    return Notation(key, _TITLES[key], {name: row[column] for name, row in _TABLE.items()}, letters, size_form,
                    offset, indices)


NOTATIONS: dict[str, Notation] = {key: _make(key) for key in KEYS}
DEFAULT_NOTATION = "notes"


def notation(key: str) -> Notation:
    """The notation of that name (a usage error naming the choices otherwise)."""
    try:
        return NOTATIONS[key]
    except KeyError:
        raise UsageError(f"unknown notation '{key}'; choose one of {', '.join(NOTATIONS)}") from None
