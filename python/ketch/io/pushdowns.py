"""What a scan is asked for: Daft's ``Pushdowns`` (``daft.io.pushdowns``).

A :class:`ketch.io.source.DataSource` receives one in ``get_tasks``: the
columns the query reads, a filter it may use to skip rows, and a row limit.
All three are hints: ketch applies the filter and limit again after the scan,
so a source that ignores them stays correct.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ketch.context import _session
from ketch.expressions import Expression


@dataclass(frozen=True)
class Pushdowns:
    """Pushdowns sent to a scan source (Daft's ``daft.io.pushdowns.Pushdowns``).

    Attributes:
        filters (Expression | None): a predicate rows must satisfy (the
            conjunction of the query's pushed filters), or None.
        partition_filters (Expression | None): a predicate on partition
            values; ketch passes None (its filters all arrive in ``filters``).
        columns (list[str] | None): the columns to produce, or None for all.
        limit (int | None): at most this many rows are needed, or None.
        aggregation (Expression | None): a count to compute instead of rows;
            ketch passes None (it pushes no aggregation into Python sources).

    >>> from ketch.io.pushdowns import Pushdowns
    >>> Pushdowns(columns=["a"], limit=5).limit
    5
    >>> Pushdowns.empty().columns is None
    True
    """

    filters: Expression | None = None
    partition_filters: Expression | None = None
    columns: list[str] | None = None
    limit: int | None = None
    aggregation: Expression | None = None
    # The filters as the SQL text ketch's planner gave (for sources that
    # translate them into their own query language, e.g. read_sql's).
    _sql_filter: str | None = field(default=None, repr=False, compare=False)

    @classmethod
    def empty(cls) -> Pushdowns:
        """No pushdowns: every column, every row."""
        return cls()

    @classmethod
    def _from_scan(cls, columns: list[str], filters: list[str], limit: int | None) -> Pushdowns:
        """The pushdowns of a ketch scan: column names, filters as SQL text, limit."""
        predicate = " AND ".join(f"({f})" for f in filters)
        expr = Expression(_session().sql_expr_unbound(predicate)) if predicate else None
        return cls(filters=expr, columns=list(columns), limit=limit, _sql_filter=predicate or None)

    def filter_required_column_names(self) -> set[str]:
        """The names of the columns the filter reads (empty without a filter)."""
        return set() if self.filters is None else set(self.filters._expr.column_names())
