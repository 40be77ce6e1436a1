"""The sides of a validation rule: small arithmetic over indicator codes, read safely.

A side is written like ``F02 + F04 + F05 + F06`` or ``0.5 * last(A01)`` or ``abs(X - last(X))``:
indicator codes, numbers, ``+ - * /``, brackets, ``last(CODE)`` (the same unit's value last year)
and ``abs(…)``. It is parsed with Python's own parser into a tree and only these nodes are
accepted, so nothing in an edition file can run code. Evaluation uses ``Decimal``; a side that
needs a value nobody entered is "missing" (``None``) and the rule is skipped, as DHIS2 does with
its "skip if any value is missing" strategy.
"""

from __future__ import annotations

import ast
import re
from decimal import Decimal, InvalidOperation

CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,19}$")
OPERATORS = ("<=", "<", ">=", ">", "==", "!=")
FUNCTIONS = ("last", "abs")


class ExpressionError(ValueError):
    pass


def parse(text: str) -> ast.Expression:
    """The checked tree of ``text``; raises ``ExpressionError`` on anything but the small language."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot read {text!r}: {exc.msg}") from None
    _check(tree.body, text)
    return tree


def _check(node, text):
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
        _check(node.left, text)
        _check(node.right, text)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check(node.operand, text)
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        pass
    elif isinstance(node, ast.Name):
        if not CODE.match(node.id):
            raise ExpressionError(f"{node.id!r} is not an indicator code (in {text!r})")
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        if len(node.args) != 1 or node.keywords:
            raise ExpressionError(f"{node.func.id}() takes one argument (in {text!r})")
        if node.func.id == "last" and not isinstance(node.args[0], ast.Name):
            raise ExpressionError(f"last() takes an indicator code (in {text!r})")
        _check(node.args[0], text)
    else:
        raise ExpressionError(f"{ast.unparse(node)!r} is not allowed in a rule (in {text!r})")


def codes(text: str) -> set[str]:
    """The indicator codes ``text`` reads (this year's and last year's)."""
    return {n.id for n in ast.walk(parse(text)) if isinstance(n, ast.Name) and n.id not in FUNCTIONS}


def evaluate(text: str, values: dict, last: dict, *, each: str | None = None) -> Decimal | None:
    """The value of ``text`` with this year's ``values`` and last year's ``last`` (code -> Decimal or None);
    ``each`` is the code ``X`` stands for. None when a value it needs is missing (or a division by zero)."""
    tree = parse(text)

    def name(code):
        return each if code == "X" and each else code

    def ev(node):
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            if a is None or b is None:
                return None
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            try:
                return a / b
            except (InvalidOperation, ZeroDivisionError):
                return None
        if isinstance(node, ast.UnaryOp):
            a = ev(node.operand)
            return None if a is None else (-a if isinstance(node.op, ast.USub) else a)
        if isinstance(node, ast.Constant):
            return Decimal(str(node.value))
        if isinstance(node, ast.Name):
            v = values.get(name(node.id))
            return None if v is None else Decimal(v)
        if node.func.id == "last":
            v = last.get(name(node.args[0].id))
            return None if v is None else Decimal(v)
        a = ev(node.args[0])
        return None if a is None else abs(a)

    return ev(tree.body)


def compare(left: Decimal, operator: str, right: Decimal) -> bool:
    return {
        "<=": left <= right,
        "<": left < right,
        ">=": left >= right,
        ">": left > right,
        "==": left == right,
        "!=": left != right,
    }[operator]
