"""`${...}` template expressions inside block definitions: a small, safe arithmetic language."""
from __future__ import annotations

import ast
import functools
import operator
import re
import warnings
from typing import Any, Mapping

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
_FUNCTIONS = {"min": min, "max": max, "int": int, "round": round, "abs": abs}


class ExpressionError(ValueError):
    """An expression that is malformed, uses something not allowed, or names an unknown variable."""


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
        if isinstance(node.op, ast.Mult) and any(isinstance(v, (str, list)) for v in (left, right)):
            count = right if isinstance(left, (str, list)) else left
            if isinstance(count, int) and count * len(left if isinstance(left, (str, list)) else right) > MAX_RESULT:
                raise ExpressionError(f"'{ast.unparse(node)}' would build a value of more than {MAX_RESULT:,} items")
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


MAX_EXPRESSION = 1_000  # characters in one ${...}
MAX_RESULT = 10_000  # characters of a string, items of a list an expression may build


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
    size = len(result) if isinstance(result, (str, list)) else 0
    if size > MAX_RESULT or (isinstance(result, int) and abs(result) >= 1 << 63):
        raise ExpressionError(f"'{shown}' gives a value too large to be a layer parameter")
    return result


@functools.lru_cache(maxsize=1024)
def _parse(text: str) -> ast.Expression:
    """The syntax tree of an expression (cached: blocks and repeats evaluate the same texts many times)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "invalid decimal literal" for '4if 1 else 2'
            return ast.parse(text, mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        problem = getattr(exc, "msg", None) or type(exc).__name__
        raise ExpressionError(f"cannot parse '{shorten(text)}': {problem}") from None


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
    return _TEMPLATE.sub(lambda m: str(evaluate(m.group(1), variables)), value)
