"""``ketch.sql`` and ``ketch.sql_expr``: SQL on DataFusion's planner with
Daft 0.7.26's conventions.

``sql("SELECT * FROM df")`` finds ``df`` among the caller's local and global
variables (with ``register_globals=True``), the keyword ``bindings`` and the
current session's tables; the result is a lazy DataFrame whose plan contains
the bound DataFrames' plans (nothing is materialized).
"""

from __future__ import annotations

import inspect

from ketch.context import _session
from ketch.dataframe import DataFrame
from ketch.expressions import Expression
from ketch.memory import from_pydict
from ketch.session import _run_sql, current_session


def sql(sql: str, register_globals: bool = True, **bindings: DataFrame) -> DataFrame:
    """Runs a SQL query over DataFrames named in the caller's scope (when
    ``register_globals``), the keyword ``bindings`` and the session's tables.

    Raises ``InvalidSQLException`` for a syntax error (with line and column),
    an unknown table or column, or an unsupported statement.
    """
    frames: dict[str, DataFrame] = {}
    if register_globals:
        caller = inspect.currentframe().f_back
        try:
            for scope in (caller.f_globals, caller.f_locals):
                frames.update({k: v for k, v in scope.items() if isinstance(v, DataFrame)})
        finally:
            del caller
    for name, value in bindings.items():
        if not isinstance(value, DataFrame):
            raise TypeError(f"sql(): binding '{name}' must be a DataFrame, got {type(value).__name__}")
        frames[name] = value
    result = _run_sql(current_session(), sql, frames)
    if result is None:
        return from_pydict({})
    return result


def sql_expr(sql: str) -> Expression:
    """A SQL expression (``"a + 1"``, ``"sum(v)"``) as an Expression for
    ``select``, ``where``, ``with_column`` or ``agg``."""
    if not isinstance(sql, str):
        raise TypeError(f"sql_expr() expects a SQL string, got {type(sql).__name__}")
    return Expression(_session().sql_expr_unbound(sql))
