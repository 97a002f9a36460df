"""Formulas as small expression trees: written once with named symbols, substituted with numbers,
evaluated exactly (fractions), and rendered as plain text, LaTeX (for Markdown math and LaTeX
documents) or HTML. A notation decides how each named symbol is written (see notation.py).

    size = (sym("n_in") + 2 * sym("p") - sym("k")) / sym("s") + 1
    size.render(TEXT, namer)                        # (W_1 + 2P - F)/S + 1
    size.substitute(values).render(TEXT, namer)     # (32 + 2*0 - 5)/2 + 1
    size.evaluate(values)                           # Fraction(29, 2)
"""
from __future__ import annotations

import copy
import html
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, ClassVar, Mapping, Union

SUM, PRODUCT, ATOM = 1, 2, 3  # binding strength of each node kind
Env = Mapping[str, Fraction]


class FormulaError(ValueError):
    """A formula evaluated without a value for one of its symbols (a bug in a derivation)."""


@dataclass(frozen=True)
class Symbol:
    """How a notation writes one quantity: a base letter, an optional subscript and superscript."""

    base: str
    sub: str = ""
    sup: str = ""


Namer = Callable[[str, str], Symbol]  # (symbol name, index such as 'i' or '') -> how it is written


class Expr:
    """A node of a formula."""

    precedence: ClassVar[int] = ATOM

    def evaluate(self, env: Env) -> Fraction:
        """The exact value, symbols taken from `env`."""
        raise NotImplementedError

    def substitute(self, env: Env) -> "Expr":
        """The same formula with every symbol in `env` replaced by its number."""
        raise NotImplementedError

    def reduce_brackets(self, env: Env) -> "Expr":
        """The formula with the argument of every floor and ceiling replaced by its value (the
        teacher's intermediate line: floor(13.5) + 1)."""
        return self

    def has_brackets(self) -> bool:
        """True when a floor or ceiling occurs in the formula."""
        return False

    def render(self, style: "Style", namer: Namer) -> str:
        """The formula in a style (TEXT, LATEX or HTML)."""
        raise NotImplementedError

    # Operators build formulas; plain numbers become Num.
    def __add__(self, other) -> "Expr":
        return Sum.of((1, self), (1, as_expr(other)))

    def __radd__(self, other) -> "Expr":
        return Sum.of((1, as_expr(other)), (1, self))

    def __sub__(self, other) -> "Expr":
        return Sum.of((1, self), (-1, as_expr(other)))

    def __rsub__(self, other) -> "Expr":
        return Sum.of((1, as_expr(other)), (-1, self))

    def __mul__(self, other) -> "Expr":
        return Product.of(self, as_expr(other))

    def __rmul__(self, other) -> "Expr":
        return Product.of(as_expr(other), self)

    def __truediv__(self, other) -> "Expr":
        return Frac(self, as_expr(other))

    def __rtruediv__(self, other) -> "Expr":
        return Frac(as_expr(other), self)


def is_numeric(expr: Expr) -> bool:
    """True when a formula holds numbers only (no symbol left)."""
    if isinstance(expr, Sym):
        return False
    if isinstance(expr, Num):
        return True
    children = [getattr(expr, name) for name in getattr(expr, "__dataclass_fields__", {})]
    nodes = []
    for child in children:
        if isinstance(child, Expr):
            nodes.append(child)
        elif isinstance(child, tuple):
            nodes.extend(c[1] if isinstance(c, tuple) else c for c in child)
    return all(is_numeric(n) for n in nodes if isinstance(n, Expr))


def as_expr(value: Union["Expr", int, Fraction]) -> "Expr":
    """A formula node for a node or a number."""
    return value if isinstance(value, Expr) else Num(Fraction(value))


@dataclass(frozen=True)
class Num(Expr):
    """A number (an exact rational)."""

    value: Fraction

    def evaluate(self, env: Env) -> Fraction:
        return Fraction(self.value)

    def substitute(self, env: Env) -> Expr:
        return self

    def render(self, style: "Style", namer: Namer) -> str:
        return style.number(Fraction(self.value))


@dataclass(frozen=True)
class Sym(Expr):
    """A named quantity (k, stride, r_in, ...), optionally indexed (k_i)."""

    name: str
    index: str = ""

    def evaluate(self, env: Env) -> Fraction:
        try:
            return Fraction(env[self.key])
        except KeyError:
            raise FormulaError(f"no value for symbol '{self.key}'") from None

    @property
    def key(self) -> str:
        """The name under which the value is looked up."""
        return f"{self.name}[{self.index}]" if self.index else self.name

    def substitute(self, env: Env) -> Expr:
        return Num(Fraction(env[self.key])) if self.key in env else self

    def render(self, style: "Style", namer: Namer) -> str:
        return style.symbol(namer(self.name, self.index))


@dataclass(frozen=True)
class Sum(Expr):
    """Terms added (+1) or subtracted (-1)."""

    terms: tuple[tuple[int, Expr], ...]
    precedence: ClassVar[int] = SUM

    @staticmethod
    def of(*terms: tuple[int, Expr]) -> "Sum":
        """A flat sum (nested sums added with + are merged)."""
        flat: list[tuple[int, Expr]] = []
        for sign, term in terms:
            if isinstance(term, Sum) and sign == 1:
                flat.extend(term.terms)
            else:
                flat.append((sign, term))
        return Sum(tuple(flat))

    def evaluate(self, env: Env) -> Fraction:
        return sum((sign * term.evaluate(env) for sign, term in self.terms), Fraction(0))

    def substitute(self, env: Env) -> Expr:
        return Sum(tuple((sign, term.substitute(env)) for sign, term in self.terms))

    def reduce_brackets(self, env: Env) -> Expr:
        return Sum(tuple((sign, term.reduce_brackets(env)) for sign, term in self.terms))

    def has_brackets(self) -> bool:
        return any(term.has_brackets() for _, term in self.terms)

    def render(self, style: "Style", namer: Namer) -> str:
        parts = []
        for position, (sign, term) in enumerate(self.terms):
            text = term.render(style, namer)
            negative = isinstance(term, Num) and term.value < 0
            if negative and (position or sign < 0):
                text = style.parens(text)
            elif term.precedence <= SUM and sign < 0:
                text = style.parens(text)
            if position == 0:
                parts.append(text if sign > 0 else f"{style.minus}{text}")
            else:
                parts.append(f" {'+' if sign > 0 else style.minus} {text}")
        return "".join(parts)


@dataclass(frozen=True)
class Product(Expr):
    """Factors multiplied; written side by side (2P, C_in H_K) or with a times sign between numbers."""

    factors: tuple[Expr, ...]
    precedence: ClassVar[int] = PRODUCT

    @staticmethod
    def of(*factors: Expr) -> "Product":
        """A flat product."""
        flat: list[Expr] = []
        for factor in factors:
            flat.extend(factor.factors if isinstance(factor, Product) else (factor,))
        return Product(tuple(flat))

    def evaluate(self, env: Env) -> Fraction:
        value = Fraction(1)
        for factor in self.factors:
            value *= factor.evaluate(env)
        return value

    def substitute(self, env: Env) -> Expr:
        return Product(tuple(f.substitute(env) for f in self.factors))

    def reduce_brackets(self, env: Env) -> Expr:
        return Product(tuple(f.reduce_brackets(env) for f in self.factors))

    def has_brackets(self) -> bool:
        return any(f.has_brackets() for f in self.factors)

    def render(self, style: "Style", namer: Namer) -> str:
        out = ""
        previous = None
        for factor in self.factors:
            text = factor.render(style, namer)
            if factor.precedence < PRODUCT or (isinstance(factor, Num) and factor.value < 0) or (
                    isinstance(factor, Frac) and style.fraction_is_inline and previous is not None):
                text = style.parens(text)
            if previous is not None:
                out += _product_separator(style, previous, factor, text)
            out += text
            previous = factor
        return out


def _product_separator(style: "Style", left: Expr, right: Expr, right_text: str) -> str:
    """Between two factors: a times sign before a number or between numbers (16*(8*5*5 + 1)),
    nothing after a number (2P, 2(k - 1)), else a space (C_in H_K)."""
    if isinstance(right, Num) or style.starts_with_digit(right_text) or (is_numeric(left) and is_numeric(right)):
        return style.times
    if isinstance(left, Num) and not style.is_word(right_text):
        return ""
    return style.juxtapose


@dataclass(frozen=True)
class Frac(Expr):
    """A quotient."""

    num: Expr
    den: Expr
    precedence: ClassVar[int] = PRODUCT

    def evaluate(self, env: Env) -> Fraction:
        return self.num.evaluate(env) / self.den.evaluate(env)

    def substitute(self, env: Env) -> Expr:
        return Frac(self.num.substitute(env), self.den.substitute(env))

    def reduce_brackets(self, env: Env) -> Expr:
        return Frac(self.num.reduce_brackets(env), self.den.reduce_brackets(env))

    def has_brackets(self) -> bool:
        return self.num.has_brackets() or self.den.has_brackets()

    def render(self, style: "Style", namer: Namer) -> str:
        return style.fraction(self.num, self.den, namer)


@dataclass(frozen=True)
class Bracket(Expr):
    """floor(x) or ceil(x)."""

    arg: Expr
    ceiling: bool = False

    def evaluate(self, env: Env) -> Fraction:
        value = self.arg.evaluate(env)
        return Fraction(-((-value.numerator) // value.denominator) if self.ceiling
                        else value.numerator // value.denominator)

    def substitute(self, env: Env) -> Expr:
        return Bracket(self.arg.substitute(env), self.ceiling)

    def reduce_brackets(self, env: Env) -> Expr:
        return Bracket(Num(self.arg.evaluate(env)), self.ceiling)

    def has_brackets(self) -> bool:
        return True

    def render(self, style: "Style", namer: Namer) -> str:
        return style.bracket(self.arg.render(style, namer), self.ceiling)


def floor(x) -> Bracket:
    """floor(x) as a formula node."""
    return Bracket(as_expr(x))


def ceil(x) -> Bracket:
    """ceil(x) as a formula node."""
    return Bracket(as_expr(x), ceiling=True)


@dataclass(frozen=True)
class Call(Expr):
    """max(...), min(...) or a mod b."""

    function: str
    args: tuple[Expr, ...]

    @property
    def precedence(self) -> int:  # type: ignore[override]
        return PRODUCT if self.function == "mod" else ATOM

    def evaluate(self, env: Env) -> Fraction:
        values = [a.evaluate(env) for a in self.args]
        if self.function == "max":
            return max(values)
        if self.function == "min":
            return min(values)
        if self.function == "mod":
            return values[0] % values[1]
        raise FormulaError(f"unknown function {self.function}")

    def substitute(self, env: Env) -> Expr:
        return Call(self.function, tuple(a.substitute(env) for a in self.args))

    def reduce_brackets(self, env: Env) -> Expr:
        return Call(self.function, tuple(a.reduce_brackets(env) for a in self.args))

    def has_brackets(self) -> bool:
        return any(a.has_brackets() for a in self.args)

    def render(self, style: "Style", namer: Namer) -> str:
        if self.function != "mod":
            style = style.ungrouped()  # max(32,000, 0) would be ambiguous
        args = [a.render(style, namer) for a in self.args]
        if self.function == "mod":
            left, right = (style.parens(t) if a.precedence <= PRODUCT else t for a, t in zip(self.args, args))
            return f"{left} {style.mod} {right}"
        return style.function(self.function, args)


def maximum(*args) -> Call:
    """max(a, b, ...)."""
    return Call("max", tuple(as_expr(a) for a in args))


def mod(a, b) -> Call:
    """a mod b."""
    return Call("mod", (as_expr(a), as_expr(b)))


@dataclass(frozen=True)
class BigOp(Expr):
    """A symbolic sum or product over an index (sum_{i=1}^{L} ...): for closed forms, never evaluated
    (their numeric form is written out term by term). The bounds are written as given."""

    operator: str  # "sum" or "prod"
    index: str
    lower: str
    upper: str
    body: Expr
    precedence: ClassVar[int] = PRODUCT

    def evaluate(self, env: Env) -> Fraction:
        raise FormulaError("a symbolic sum is written out before it is evaluated")

    def substitute(self, env: Env) -> Expr:
        return self

    def render(self, style: "Style", namer: Namer) -> str:
        body = self.body.render(style, namer)
        if self.body.precedence <= SUM:
            body = style.parens(body)
        return style.big_operator(self.operator, self.index, self.lower, self.upper, body)


def sym(name: str, index: str = "") -> Sym:
    """A named symbol."""
    return Sym(name, index)


def num(value) -> Num:
    """A number node."""
    return Num(Fraction(value))


# --- styles --------------------------------------------------------------------------------------

def decimal_places(value: Fraction) -> int | None:
    """Digits after the point of an exact decimal with at most 4 of them, else None."""
    for places in range(5):
        if (value * 10 ** places).denominator == 1:
            return places
    return None


def plain_number(value: Fraction, grouped: bool = True) -> str:
    """A rational as a person writes it: 14, 14.5, 1/3, 16,384."""
    value = Fraction(value)
    if value.denominator == 1:
        return f"{value.numerator:,}" if grouped and abs(value.numerator) >= 1000 else str(value.numerator)
    places = decimal_places(value)
    if places is not None:
        return f"{float(value):.{places}f}"
    return f"{value.numerator}/{value.denominator}"


class Style:
    """How a target (plain text, LaTeX, HTML) writes the pieces of a formula."""

    minus = "-"
    times = "*"
    juxtapose = " "
    mod = "mod"
    equals = "="
    fraction_is_inline = True
    grouped = True  # thousands separators in numbers (not inside a function's argument list)
    floor_word = "floor"  # after the arrow of the then-floor form: 14.5 -> floor 14

    def ungrouped(self) -> "Style":
        """The same style writing numbers without thousands separators."""
        clone = copy.copy(self)
        clone.grouped = False
        return clone

    def number(self, value: Fraction) -> str:
        return plain_number(value, self.grouped)

    def starts_with_digit(self, text: str) -> bool:
        return text[:1].isdigit()

    def is_word(self, text: str) -> bool:
        """True when a rendered symbol starts with a word (MACs, bytes): 2 MACs, not 2MACs."""
        return len(text) >= 2 and text[:2].isalpha()

    def symbol(self, s: Symbol) -> str:
        return s.base + (f"_{s.sub}" if s.sub else "") + (f"^{s.sup}" if s.sup else "")

    def parens(self, text: str) -> str:
        return f"({text})"

    def fraction(self, numerator: Expr, denominator: Expr, namer: Namer) -> str:
        top = numerator.render(self, namer)
        bottom = denominator.render(self, namer)
        if numerator.precedence <= SUM or (isinstance(numerator, Num) and numerator.value < 0):
            top = self.parens(top)
        if denominator.precedence <= PRODUCT:
            bottom = self.parens(bottom)
        return f"{top}/{bottom}"

    def bracket(self, inner: str, ceiling: bool) -> str:
        return f"{'ceil' if ceiling else 'floor'}({inner})"

    def function(self, name: str, args: list[str]) -> str:
        return f"{name}({', '.join(args)})"


    def big_operator(self, operator: str, index: str, lower: str, upper: str, body: str) -> str:
        bounds = f"{index}={lower}" if lower else index
        return f"{operator}_{{{bounds}}}^{{{upper}}} {body}" if upper else f"{operator}_{{{bounds}}} {body}"

    def arrow(self) -> str:
        return "->"


class LatexStyle(Style):
    """LaTeX math (inside $...$ in Markdown, or a LaTeX document)."""

    minus = "-"
    times = r" \cdot "
    juxtapose = r"\,"
    mod = r"\bmod"
    fraction_is_inline = False
    floor_word = r"\text{floor}\;"
    _GREEK = {"α": r"\alpha", "Σ": r"\Sigma", "Π": r"\Pi"}

    def number(self, value: Fraction) -> str:
        value = Fraction(value)
        if value.denominator != 1 and decimal_places(value) is None:
            sign = "-" if value < 0 else ""
            return rf"{sign}\tfrac{{{abs(value.numerator)}}}{{{value.denominator}}}"
        return plain_number(value, self.grouped).replace(",", "{,}")

    def starts_with_digit(self, text: str) -> bool:
        return text[:1].isdigit() or text.startswith(r"\tfrac")

    def is_word(self, text: str) -> bool:
        return text.startswith(r"\mathrm")

    def symbol(self, s: Symbol) -> str:
        base = self._GREEK.get(s.base, s.base)
        if base.endswith("^"):  # a hat: k^ -> \hat{k}
            base = rf"\hat{{{base[:-1]}}}"
        elif len(base) > 1 and base.isalpha() and not base.startswith("\\"):
            base = rf"\mathrm{{{base}}}"
        text = base
        if s.sub:
            text += f"_{{{_latex_words(s.sub)}}}"
        if s.sup:
            text += f"^{{{_latex_words(s.sup)}}}"
        return text

    def parens(self, text: str) -> str:
        return rf"\left({text}\right)"

    def fraction(self, numerator: Expr, denominator: Expr, namer: Namer) -> str:
        return rf"\frac{{{numerator.render(self, namer)}}}{{{denominator.render(self, namer)}}}"

    def bracket(self, inner: str, ceiling: bool) -> str:
        left, right = (r"\lceil", r"\rceil") if ceiling else (r"\lfloor", r"\rfloor")
        return rf"\left{left} {inner} \right{right}"

    def function(self, name: str, args: list[str]) -> str:
        return rf"\{name}\left({', '.join(args)}\right)"


    def big_operator(self, operator: str, index: str, lower: str, upper: str, body: str) -> str:
        command = r"\sum" if operator == "sum" else r"\prod"
        bounds = f"{index}={lower}" if lower else index
        return rf"{command}_{{{bounds}}}" + (f"^{{{upper}}}" if upper else "") + f" {body}"

    def arrow(self) -> str:
        return r"\;\Rightarrow\;"


def _latex_words(text: str) -> str:
    """A subscript for LaTeX: words upright (in, out, eff), single letters and digits italic."""
    parts = []
    for piece in text.split(","):
        stripped = piece.strip()
        if len(stripped) > 1 and stripped.isalpha():
            parts.append(rf"\mathrm{{{stripped}}}")
        else:
            parts.append(stripped)
    return ",".join(parts)


class HtmlStyle(Style):
    """HTML with <var>, <sub> and <sup>: readable without any script or font download."""

    minus = "&minus;"
    times = " &times; "
    juxtapose = "&thinsp;"
    equals = "="

    def number(self, value: Fraction) -> str:
        return plain_number(value, self.grouped).replace("-", "&minus;")

    def starts_with_digit(self, text: str) -> bool:
        return text[:1].isdigit()

    def is_word(self, text: str) -> bool:
        return text.startswith('<var class="word">')

    def symbol(self, s: Symbol) -> str:
        base = s.base
        if base.endswith("^"):
            base = f"{base[:-1]}&#770;"  # combining circumflex: k-hat
        shown = html.escape(base, quote=False) if "&" not in base else base
        text = f'<var class="word">{shown}</var>' if len(base) > 1 and base.isalpha() else f"<var>{shown}</var>"
        if s.sub:
            text += f"<sub>{html.escape(s.sub)}</sub>"
        if s.sup:
            text += f"<sup>{html.escape(s.sup)}</sup>"
        return text

    def bracket(self, inner: str, ceiling: bool) -> str:
        return f"&lceil;{inner}&rceil;" if ceiling else f"&lfloor;{inner}&rfloor;"


    def big_operator(self, operator: str, index: str, lower: str, upper: str, body: str) -> str:
        sign = "&sum;" if operator == "sum" else "&prod;"
        bounds = html.escape(f"{index}={lower}" if lower else index)
        return f"{sign}<sub>{bounds}</sub>" + (f"<sup>{html.escape(upper)}</sup>" if upper else "") + f" {body}"

    def arrow(self) -> str:
        return "&rArr;"


class TextStyle(Style):
    """Plain text for terminals and plain files."""


TEXT, LATEX, HTML = TextStyle(), LatexStyle(), HtmlStyle()
