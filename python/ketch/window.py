"""``Window``: the window specification of ``expr.over(window)`` (Daft 0.7.26).

A window partitions rows (``partition_by``), orders each partition
(``order_by``) and, for aggregations, bounds a frame around each row
(``rows_between`` counts rows, ``range_between`` compares order-by values).
Without a frame an aggregation covers the whole partition, or with an
ordering the rows from the partition's start through the current row's peers
(SQL's default, as in Daft). Windows are immutable; each method returns a new
one.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ketch import expressions
from ketch._native import PyExpr
from ketch.expressions import Expression, WhenExpr, _expr_or_col, lit


@dataclasses.dataclass(frozen=True)
class WindowBoundary:
    """A frame bound: unbounded, or a signed offset (negative = preceding, 0 = the current row)."""

    offset: Any = None  # None for unbounded

    def __repr__(self) -> str:
        return "WindowBoundary(unbounded)" if self.offset is None else f"WindowBoundary({self.offset!r})"


def _boundary(value: Any) -> WindowBoundary:
    if isinstance(value, WindowBoundary):
        return value
    if isinstance(value, bool) or value is None:
        raise TypeError(f"a window bound is an offset or a Window boundary constant, got {value!r}")
    return WindowBoundary(value)


def _columns(cols: tuple[Any, ...]) -> list[Expression]:
    out: list[Expression] = []
    for c in cols:
        if isinstance(c, (list, tuple)):
            out += [_expr_or_col(x) for x in c]
        else:
            out.append(_expr_or_col(c))
    return out


class Window:
    """A window specification; build one with ``Window().partition_by(...).order_by(...)``."""

    unbounded_preceding = WindowBoundary(None)
    unbounded_following = WindowBoundary(None)
    current_row = WindowBoundary(0)

    def __init__(self) -> None:
        self._partition_by: list[Expression] = []
        self._order_by: list[tuple[Expression, bool, bool]] = []
        self._frame: tuple[str, WindowBoundary, WindowBoundary] | None = None
        self._min_periods = 1

    def _copy(self) -> Window:
        w = Window()
        w._partition_by, w._order_by = list(self._partition_by), list(self._order_by)
        w._frame, w._min_periods = self._frame, self._min_periods
        return w

    def partition_by(self, *cols: Any) -> Window:
        """Partitions rows by ``cols`` (column names or Expressions)."""
        exprs = _columns(cols)
        if not exprs:
            raise ValueError("At least one partition column must be specified")
        w = self._copy()
        w._partition_by += exprs
        return w

    def order_by(
        self, *cols: Any, desc: bool | list[bool] = False, nulls_first: bool | list[bool] | None = None
    ) -> Window:
        """Orders each partition by ``cols``; ``desc`` and ``nulls_first`` per column or for all.
        Nulls sort last ascending and first descending unless ``nulls_first`` says otherwise."""
        exprs = _columns(cols)
        descs = [desc] * len(exprs) if isinstance(desc, bool) else list(desc)
        if len(descs) != len(exprs):
            raise ValueError("Length of descending flags must match number of order by columns")
        if nulls_first is None:
            firsts = descs
        elif isinstance(nulls_first, bool):
            firsts = [nulls_first] * len(exprs)
        else:
            firsts = list(nulls_first)
            if len(firsts) != len(exprs):
                raise ValueError("Length of nulls first flags must match number of order by columns")
        w = self._copy()
        w._order_by += list(zip(exprs, descs, firsts))
        return w

    def _between(self, units: str, start: Any, end: Any, min_periods: int) -> Window:
        if not isinstance(min_periods, int) or min_periods < 1:
            raise ValueError(f"min_periods must be an int >= 1, got {min_periods!r}")
        w = self._copy()
        w._frame = (units, _boundary(start), _boundary(end))
        w._min_periods = min_periods
        return w

    def rows_between(self, start: Any, end: Any, min_periods: int = 1) -> Window:
        """A frame of rows from ``start`` to ``end`` relative to the current row (ints, or
        ``Window.unbounded_preceding`` / ``current_row`` / ``unbounded_following``)."""
        for b in (start, end):
            if not isinstance(b, WindowBoundary) and not isinstance(b, int):
                raise TypeError(f"rows_between() bounds are ints or Window boundaries, got {b!r}")
        return self._between("rows", start, end, min_periods)

    def range_between(self, start: Any, end: Any, min_periods: int = 1) -> Window:
        """A frame of the rows whose order-by value lies within ``start``..``end`` of the current row's."""
        if len(self._order_by) != 1:
            raise ValueError("range_between() needs exactly one order_by column")
        return self._between("range", start, end, min_periods)

    def _apply(self, expr: Expression) -> Expression:
        frame = None
        if self._frame is not None:
            units, start, end = self._frame
            frame = (
                units,
                None if start.offset is None else lit(start.offset)._expr,
                None if end.offset is None else lit(end.offset)._expr,
            )
        order = [(e._expr, d, n) for e, d, n in self._order_by]
        partition = [e._expr for e in self._partition_by]
        out = Expression(expr._expr.over(partition, order, frame))
        if self._min_periods > 1:
            rows = Expression(PyExpr.agg("count", [lit(1)._expr], False).over(partition, order, frame))
            out = WhenExpr([(rows >= self._min_periods, out)]).alias(out.name())
        return out

    def __repr__(self) -> str:
        return f"Window(partition_by={self._partition_by}, order_by={self._order_by}, frame={self._frame})"


def _over(expr: Expression, window: Any) -> Expression:
    """:meth:`Expression.over`: ``expr`` evaluated over ``window``."""
    if not isinstance(window, Window):
        raise TypeError(f"over() expects a Window, got {type(window).__name__}")
    return window._apply(expr)


expressions._over_window = _over
