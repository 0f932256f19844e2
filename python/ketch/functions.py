"""``ketch.functions``: free-function forms of expression methods (Daft 0.7.26).

The full registry of Daft's functions comes with the function-registry issue;
this module holds the ones the foundation needs.
"""

from __future__ import annotations

from typing import Any

from ketch.expressions import Expression, WhenExpr, _to_expr, col, lit


def when(condition: Expression, then: Any) -> WhenExpr:
    """``CASE WHEN condition THEN then ...``; chain ``.when`` and end with ``.otherwise``."""
    return WhenExpr([(condition, _to_expr(then))])


def abs(expr: Expression) -> Expression:  # noqa: A001 - Daft's name
    return expr.abs()


def round(expr: Expression, decimals: int = 0) -> Expression:  # noqa: A001
    return expr.round(decimals)


def floor(expr: Expression) -> Expression:
    return expr.floor()


def ceil(expr: Expression) -> Expression:
    return expr.ceil()


def coalesce(*exprs: Expression) -> Expression:
    from ketch._native import PyExpr

    return Expression(PyExpr.call("coalesce", [_to_expr(e)._expr for e in exprs]))


__all__ = ["abs", "ceil", "coalesce", "col", "floor", "lit", "round", "when"]
