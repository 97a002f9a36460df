"""`${...}` template expressions inside block definitions: a small, safe arithmetic language."""
from __future__ import annotations

import ast
import functools
import operator
import re
import warnings
from typing import Any, Mapping

from .bounds import MAX_EXPRESSION, MAX_ITEMS, MAX_NESTING

_TEMPLATE = re.compile(r"\$\{([^}]*)\}")

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv, ast.Div: operator.truediv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
    ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
}
class ExpressionError(ValueError):
    """An expression that is malformed, uses something not allowed, or names an unknown variable."""


MAX_ROUND_DIGITS = 64  # round(x, n): |n| at most this (round(5, -10**9) would build 10**(10**9))


def _round(number: Any, digits: Any = None) -> Any:
    """round(), with the number of digits bounded."""
    if digits is not None and (not isinstance(digits, int) or abs(digits) > MAX_ROUND_DIGITS):
        raise ExpressionError(f"round takes at most {MAX_ROUND_DIGITS} digits; got {shorten(repr(digits))}")
    return round(number, digits)


_FUNCTIONS = {"min": min, "max": max, "int": int, "round": _round, "abs": abs}


def value_size(value: Any) -> int:
    """Characters of a string, items of a list with nested lists counted whole (stops past MAX_ITEMS)."""
    total, pending = 0, [value]
    while pending and total <= MAX_ITEMS:
        item = pending.pop()
        if isinstance(item, (str, list)):
            total += len(item)
        if isinstance(item, list) and total <= MAX_ITEMS:
            pending.extend(item)
    return total


def _check_built(node: ast.BinOp, left: Any, right: Any) -> None:
    """Refuse `*` and `+` of strings or lists that would build a value of more than MAX_ITEMS, before building it."""
    if isinstance(node.op, ast.Mult) and any(isinstance(v, (str, list)) for v in (left, right)):
        sequence, count = (left, right) if isinstance(left, (str, list)) else (right, left)
        size = value_size(sequence) * count if isinstance(count, int) else 0
    elif isinstance(node.op, ast.Add) and all(isinstance(v, (str, list)) for v in (left, right)):
        size = value_size(left) + value_size(right)
    else:
        return
    if size > MAX_ITEMS:
        raise ExpressionError(f"'{shorten(ast.unparse(node))}' would build a value of more than {MAX_ITEMS:,} "
                              f"items or characters")


def _evaluate(node: ast.AST, variables: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, variables)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in variables:
            known = ", ".join(sorted(variables)) or "none"
            raise ExpressionError(f"unknown variable '{node.id}' (known: {known})")
        return variables[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        if isinstance(node.op, ast.Pow):
            exponent = _evaluate(node.right, variables)
            base = _evaluate(node.left, variables)
            if not isinstance(exponent, int) or abs(exponent) > 64 or \
                    (isinstance(base, (int, float)) and abs(base) > 1 << 32):
                raise ExpressionError("powers take an integer exponent of at most 64 and a base of at most 2^32")
            return operator.pow(base, exponent)
        left, right = _evaluate(node.left, variables), _evaluate(node.right, variables)
        if isinstance(node.op, ast.Mod) and isinstance(left, str):
            raise ExpressionError(f"'{ast.unparse(node)}': string formatting with % is not allowed")
        _check_built(node, left, right)
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate(node.operand, variables))
    if isinstance(node, ast.BoolOp):
        values = [_evaluate(v, variables) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        left = _evaluate(node.left, variables)
        for op, comparator in zip(node.ops, node.comparators):
            right = _evaluate(comparator, variables)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        branch = node.body if _evaluate(node.test, variables) else node.orelse
        return _evaluate(branch, variables)
    if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
        container, index = _evaluate(node.value, variables), _evaluate(node.slice, variables)
        if not isinstance(container, list) or not isinstance(index, int):
            raise ExpressionError(f"'{ast.unparse(node)}': only lists can be indexed, by an integer")
        if not -len(container) <= index < len(container):
            raise ExpressionError(f"'{ast.unparse(node)}': index {index} is out of range for {len(container)} items")
        return container[index]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_evaluate(item, variables) for item in node.elts]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
        if node.keywords:
            raise ExpressionError("keyword arguments are not allowed in expressions")
        return _FUNCTIONS[node.func.id](*[_evaluate(a, variables) for a in node.args])
    raise ExpressionError(f"'{ast.unparse(node)}' is not allowed (only arithmetic, comparisons, "
                          f"'a if c else b', lists, list[index] and {', '.join(_FUNCTIONS)})")


def evaluate(text: str, variables: Mapping[str, Any]) -> Any:
    """Evaluate one expression (the inside of `${...}`)."""
    shown = shorten(text.strip())
    if len(text) > MAX_EXPRESSION:
        raise ExpressionError(f"expression '{shown}' is longer than {MAX_EXPRESSION:,} characters")
    tree = _parse(text.strip())
    try:
        result = _evaluate(tree, variables)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"'{shown}': {shorten(str(exc)) or type(exc).__name__}") from None
    if value_size(result) > MAX_ITEMS:
        raise ExpressionError(f"'{shown}' gives a value of more than {MAX_ITEMS:,} items or characters")
    if isinstance(result, int) and abs(result) >= 1 << 63:
        raise ExpressionError(f"'{shown}' gives a value too large to be a layer parameter")
    return result


@functools.lru_cache(maxsize=1024)
def _parse(text: str) -> ast.Expression:
    """The syntax tree of an expression (cached: blocks and repeats evaluate the same texts many times)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "invalid decimal literal" for '4if 1 else 2'
            tree = ast.parse(text, mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        problem = getattr(exc, "msg", None) or type(exc).__name__
        raise ExpressionError(f"cannot parse '{shorten(text)}': {problem}") from None
    if _depth(tree) > MAX_NESTING:
        raise ExpressionError(f"'{shorten(text)}' is nested more than {MAX_NESTING} levels deep")
    return tree


def _depth(tree: ast.AST) -> int:
    """How deeply the tree's nodes nest (counted without recursion)."""
    deepest, pending = 0, [(tree, 1)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def shorten(text: str, limit: int = 80) -> str:
    """Text cut to `limit` characters with an ellipsis, for messages that echo user values."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def substitute(value: Any, variables: Mapping[str, Any]) -> Any:
    """Replace `${...}` in a string: a string that is one whole expression becomes its value."""
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = _TEMPLATE.fullmatch(value.strip())
    if whole:
        result = evaluate(whole.group(1), variables)
        if isinstance(result, float) and result.is_integer():
            return int(result)
        return result
    pieces, size, end = [], 0, 0
    for match in _TEMPLATE.finditer(value):
        piece = str(evaluate(match.group(1), variables))
        size += len(piece) + match.start() - end
        if size > MAX_ITEMS:
            raise ExpressionError(f"'{shorten(value)}' gives a text of more than {MAX_ITEMS:,} characters")
        pieces += [value[end:match.start()], piece]
        end = match.end()
    return "".join(pieces) + value[end:]
