"""`${...}` template expressions inside block definitions: a small, safe arithmetic language."""
from __future__ import annotations

import ast
import operator
import re
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
            if not isinstance(exponent, int) or abs(exponent) > 64:
                raise ExpressionError("exponents must be integers of at most 64")
            return operator.pow(_evaluate(node.left, variables), exponent)
        return _BINARY[type(node.op)](_evaluate(node.left, variables), _evaluate(node.right, variables))
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
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse '{text.strip()}': {exc.msg}") from None
    try:
        return _evaluate(tree, variables)
    except (TypeError, ZeroDivisionError, OverflowError) as exc:
        raise ExpressionError(f"'{text.strip()}': {exc}") from None


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
