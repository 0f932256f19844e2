"""``DataFrame`` and ``GroupedDataFrame`` with Daft 0.7.26's API.

A DataFrame is a lazy logical plan: each operation returns a new DataFrame and
nothing runs until ``collect``, ``show``, ``to_*``, iteration or a write.
``collect`` keeps the result, so later operations start from it.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from ketch import functions as F
from ketch import logical, pyvalues
from ketch._native import PyExpr, PyPlan
from ketch.context import _session, get_context
from ketch.datatype import DataType
from ketch.display import THUMBNAIL_SIZE, logical_cells, table_html, table_text
from ketch.exceptions import APITypeError, DaftCoreException, ExpressionTypeError, expect_type
from ketch.expressions import Expression, UdfExpression, _expr_or_col, _to_expr, col, lit
from ketch.io_config import io_config_json
from ketch.runners import get_or_create_runner
from ketch.schema import Schema

if TYPE_CHECKING:
    import dask.dataframe
    import pandas
    import ray.data


def _exprs(items: Iterable[Expression | str]) -> list[Expression]:
    return [_expr_or_col(i) for i in items]


def _flatten(args: tuple) -> list:
    out: list = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.extend(a)
        else:
            out.append(a)
    return out


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _check_columns(method: str, items: list) -> None:
    for i, c in enumerate(items):
        if not isinstance(c, (Expression, str)):
            raise APITypeError(
                f"DataFrame.{method} received wrong input type.\nRequired:\n\tcolumns = "
                f"<Expression | str>, ...\nGiven:\n\tcolumns = <{type(c).__name__}> (in position {i})"
            )


class DataFrame:
    """A lazy table. Create one with ``ketch.from_pydict``, ``ketch.read_parquet``, ..."""

    def __init__(self, plan: PyPlan, _materialized: pa.Table | None = None) -> None:
        self._plan = plan
        self._result: pa.Table | None = _materialized
        self._metrics: pa.RecordBatch | None = None
        # Rows the repr shows: the execution config's, or collect()'s argument.
        self._num_preview_rows: int | None = get_context().daft_execution_config.num_preview_rows

    # --- plan helpers -------------------------------------------------
    def _new(self, plan: PyPlan) -> DataFrame:
        return DataFrame(plan)

    def _run(self) -> pa.Table:
        if self._result is not None:
            return self._result
        return get_or_create_runner().run(self._plan).read_all()

    # --- schema -------------------------------------------------------
    def schema(self) -> Schema:
        """The column names and types."""
        return Schema(self._plan.schema())

    @property
    def column_names(self) -> list[str]:
        return self.schema().column_names()

    @property
    def columns(self) -> list[Expression]:
        return [col(n) for n in self.column_names]

    def __getitem__(self, item: str | int | slice | list) -> Expression | DataFrame:
        if isinstance(item, str):
            if item not in self.schema():
                self.schema()[item]  # raises with the available names
            return col(item)
        if isinstance(item, int):
            names = self.column_names
            if not -len(names) <= item < len(names):
                raise IndexError(f"column index {item} out of range for {len(names)} columns")
            return col(names[item])
        if isinstance(item, slice):
            return self.select(*self.column_names[item])
        if isinstance(item, (list, tuple)):
            return self.select(*[self.column_names[i] if isinstance(i, int) else i for i in item])
        raise TypeError(
            f"DataFrame indices must be a column name, an int, a slice or a list, got {type(item).__name__}"
        )

    def __contains__(self, name: str) -> bool:
        return name in self.column_names

    # --- projections --------------------------------------------------
    def select(self, *columns: Expression | str, **projections: Expression) -> DataFrame:
        """Keeps only the given columns and expressions; ``name=expr`` keyword
        arguments add aliased expressions."""
        _check_columns("select", list(columns))
        exprs = _exprs(columns) + [_to_expr(e).alias(k) for k, e in projections.items()]
        if not exprs:
            raise ValueError("select() needs at least one column")
        return self._new(self._plan.select([e._expr for e in exprs]))

    def with_column(self, column_name: str, expr: Expression) -> DataFrame:
        """Adds (or replaces) the column ``column_name``."""
        return self.with_columns({column_name: expr})

    def with_columns(self, columns: dict[str, Expression]) -> DataFrame:
        """Adds (or replaces in place) one column per ``name: expr``."""
        if not isinstance(columns, dict):
            raise TypeError(f"with_columns() expects a dict of name -> Expression, got {type(columns).__name__}")
        pairs = [(k, _to_expr(v)._expr) for k, v in columns.items()]
        return self._new(self._plan.with_columns(pairs))

    def with_column_renamed(self, existing: str, new: str) -> DataFrame:
        return self.with_columns_renamed({existing: new})

    def with_columns_renamed(self, cols_map: dict[str, str]) -> DataFrame:
        return self._new(self._plan.rename(list(cols_map.items())))

    def exclude(self, *names: str) -> DataFrame:
        """Drops the named columns."""
        return self._new(self._plan.exclude(list(names)))

    # --- row operations -----------------------------------------------
    def filter(self, predicate: Expression | str) -> DataFrame:
        """Keeps rows where ``predicate`` (a Boolean Expression or a SQL
        predicate string such as ``"a > 1"``) is true."""
        if isinstance(predicate, str):
            predicate = _sql_predicate(self, predicate)
        expect_type("DataFrame.where", "predicate", predicate, Expression, "Expression | str")
        return self._new(self._plan.filter(predicate._expr))

    where = filter

    def sort(
        self,
        by: Expression | str | list[Expression | str],
        desc: bool | list[bool] = False,
        nulls_first: bool | list[bool] | None = None,
    ) -> DataFrame:
        """Sorts by one or more keys; ``nulls_first`` defaults to ``desc``."""
        keys = _exprs(by if isinstance(by, (list, tuple)) else [by])
        n = len(keys)
        descs = list(desc) if isinstance(desc, (list, tuple)) else [desc] * n
        nf = list(nulls_first) if isinstance(nulls_first, (list, tuple)) else [nulls_first] * n
        if len(descs) != n or len(nf) != n:
            raise ValueError(f"sort(): got {n} keys but {len(descs)} desc and {len(nf)} nulls_first values")
        return self._new(self._plan.sort([k._expr for k in keys], [bool(d) for d in descs], nf))

    def limit(self, num: int) -> DataFrame:
        """The first ``num`` rows."""
        expect_type("DataFrame.limit", "num", num, int, "<class 'int'>")
        if num < 0:
            raise ValueError(f"limit() needs a non-negative number, got {num}")
        return self._new(self._plan.limit(0, num))

    def offset(self, num: int) -> DataFrame:
        """Skips the first ``num`` rows."""
        expect_type("DataFrame.offset", "num", num, int, "<class 'int'>")
        if num < 0:
            raise ValueError(f"offset() needs a non-negative number, got {num}")
        return self._new(self._plan.limit(num, None))

    def distinct(self, *on: Expression | str) -> DataFrame:
        """Distinct rows (or the first row per distinct value of ``on``)."""
        return self._new(self._plan.distinct([e._expr for e in _exprs(_flatten(on))]))

    unique = distinct
    drop_duplicates = distinct

    def drop_null(self, *cols: Expression | str) -> DataFrame:
        """Drops rows with a null in any of ``cols`` (all columns when none given)."""
        return self._new(self._plan.drop_null([e._expr for e in _exprs(_flatten(cols))]))

    def drop_nan(self, *cols: Expression | str) -> DataFrame:
        """Drops rows with a NaN in any of the float ``cols`` (all float columns when none given)."""
        return self._new(self._plan.drop_nan([e._expr for e in _exprs(_flatten(cols))]))

    def explode(
        self,
        *columns: Expression | str,
        index_column: Expression | str | None = None,
        ignore_empty_and_null: bool = False,
    ) -> DataFrame:
        """One row per list element of ``columns`` (zipped when several); a null
        or empty list gives one row with a null unless ``ignore_empty_and_null``.
        ``index_column`` (a name) adds a last UInt64 column: each element's
        position in its list (null for a null or empty list).

        >>> import ketch
        >>> ketch.from_pydict({"a": [[1, 2], [3]]}).explode("a", index_column="i").to_pydict()
        {'a': [1, 2, 3], 'i': [0, 1, 0]}
        """
        if index_column is not None:
            index_column = _exprs([index_column])[0].column_name()
            if index_column is None:
                raise ValueError("explode(index_column=...) takes a column name")
        names = []
        for c in _exprs(columns):
            name = c.column_name()
            if name is None:
                raise ValueError(f"explode() takes column names or col(...) references, got {c!r}")
            names.append(name)
        if not names:
            raise ValueError("explode() needs at least one column")
        return self._new(self._plan.explode(names, ignore_empty_and_null, index_column))

    def sample(
        self,
        fraction: float | None = None,
        size: int | None = None,
        with_replacement: bool = False,
        seed: int | None = None,
    ) -> DataFrame:
        """A random sample of the rows, as Daft samples: ``fraction`` keeps
        ``ceil(n * fraction)`` rows of each batch of ``n`` rows, ``size`` exactly
        ``size`` rows (one pass, memory for ``size`` rows); ``with_replacement``
        draws rows independently (they may repeat); ``seed`` (an int) makes the
        sample the same on every run over the same input.

        Raises ValueError when neither or both of ``fraction`` and ``size`` are
        given, for a fraction outside [0, 1] or a negative size, and when the
        query runs, for a ``size`` larger than the input without replacement.

        >>> import ketch
        >>> df = ketch.from_pydict({"x": list(range(10))})
        >>> len(df.sample(fraction=0.25, seed=1).to_pydict()["x"])
        3
        >>> len(df.sample(size=12, with_replacement=True, seed=1).to_pydict()["x"])
        12
        """
        if fraction is not None and size is not None:
            raise ValueError("Must specify either `fraction` or `size`, but not both")
        if fraction is None and size is None:
            raise ValueError("Must specify either `fraction` or `size`")
        if fraction is not None and not 0.0 <= fraction <= 1.0:
            raise ValueError(f"fraction should be between 0.0 and 1.0, but got {fraction}")
        if size is not None:
            expect_type("DataFrame.sample", "size", size, int, "int | None")
            if size < 0:
                raise ValueError(f"size should be non-negative, but got {size}")
        if seed is not None:
            expect_type("DataFrame.sample", "seed", seed, int, "int | None")
        seed = None if seed is None else seed % 2**64
        fraction = None if fraction is None else float(fraction)
        return self._new(self._plan.sample(fraction, size, bool(with_replacement), seed))

    # --- partitions ---------------------------------------------------
    def _add_monotonically_increasing_id(self, column_name: str | None = None) -> DataFrame:
        """The rows with a first UInt64 column ``column_name`` (default ``id``)
        of :func:`ketch.functions.monotonically_increasing_id` (Daft's
        internal method, which Daft's own tests use)."""
        name = "id" if column_name is None else column_name
        return self.select(F.monotonically_increasing_id().alias(name), *[col(c) for c in self.column_names])

    def into_batches(self, batch_size: int) -> DataFrame:
        """The rows, in order, regrouped into batches of exactly ``batch_size`` rows
        (the last one holds the rest): small batches are coalesced, large ones
        split, so a batch UDF after it sees batches of that size (Daft's
        ``into_batches``; Daft aims at 0.8-1x ``batch_size``). Raises ValueError for
        a ``batch_size`` below 1 and TypeError for one that is not an int.

        >>> import ketch
        >>> df = ketch.from_pydict({"x": list(range(10))}).into_batches(4)
        >>> [len(b) for b in df.to_arrow_iter()]
        [4, 4, 2]
        """
        expect_type("DataFrame.into_batches", "batch_size", batch_size, int, "int")
        if batch_size <= 0:
            raise ValueError("batch_size must be greater than 0")
        return self._new(self._plan.into_batches(batch_size))

    def repartition(self, num: int | None, *partition_by: Expression | str) -> DataFrame:
        """Redistributes rows into ``num`` partitions (by hash of ``partition_by`` when given)."""
        if num is None:
            num = os.cpu_count() or 1
        expect_type("DataFrame.repartition", "num", num, int, "int | None")
        return self._new(self._plan.repartition(num, [e._expr for e in _exprs(partition_by)]))

    def into_partitions(self, num: int) -> DataFrame:
        """Splits the rows into ``num`` partitions."""
        expect_type("DataFrame.into_partitions", "num", num, int, "<class 'int'>")
        return self._new(self._plan.repartition(num, []))

    def num_partitions(self) -> int:
        """The number of partitions the plan produces."""
        return get_or_create_runner().num_partitions(self._plan)

    # --- aggregation --------------------------------------------------
    def groupby(self, *group_by: Expression | str) -> GroupedDataFrame:
        """Groups rows by the given keys for :meth:`GroupedDataFrame.agg`."""
        keys = _exprs(_flatten(group_by))
        if not keys:
            raise ValueError("groupby() needs at least one key")
        return GroupedDataFrame(self, keys)

    def agg(self, *to_agg: Expression | Iterable[Expression]) -> DataFrame:
        """Aggregates the whole DataFrame to one row."""
        return _aggregate(self, [], _flatten(to_agg))

    def _shortcut(self, method: str, cols: tuple, **kw) -> DataFrame:
        targets = _exprs(_flatten(cols)) if cols else self.columns
        return self.agg(*[getattr(c, method)(**kw) for c in targets])

    def sum(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("sum", cols)

    def mean(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("mean", cols)

    avg = mean

    def min(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("min", cols)

    def max(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("max", cols)

    def stddev(self, *cols: Expression | str, ddof: int = 1) -> DataFrame:
        return self._shortcut("stddev", cols, ddof=ddof)

    def var(self, *cols: Expression | str, ddof: int = 1) -> DataFrame:
        return self._shortcut("var", cols, ddof=ddof)

    def any_value(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("any_value", cols)

    def count_distinct(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("count_distinct", cols)

    def agg_list(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("list_agg", cols)

    def agg_set(self, *cols: Expression | str) -> DataFrame:
        """The distinct non-null values of each column as a list."""
        return self._shortcut("list_agg_distinct", cols)

    def agg_concat(self, *cols: Expression | str, delimiter: str | None = None) -> DataFrame:
        """Each string column's values joined with ``delimiter``."""
        return self._shortcut("string_agg", cols, delimiter=delimiter)

    def product(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("product", cols)

    def skew(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("skew", cols)

    def count(self, *cols: Expression | str | int) -> DataFrame:
        """With no columns, the number of rows as column ``count``; else the
        non-null count of each column."""
        if not cols:
            return self.agg(lit(1).count("all").alias("count"))
        return self._shortcut("count", cols)

    def count_rows(self) -> int:
        """The number of rows (runs the query)."""
        if self._result is not None:
            return self._result.num_rows
        t = self.agg(lit(1).count("all").alias("count"))._run()
        return int(t.column(0)[0].as_py())

    def __len__(self) -> int:
        return self.count_rows()

    # --- joins and set operations -------------------------------------
    def join(
        self,
        other: DataFrame,
        on: list[Expression | str] | Expression | str | None = None,
        left_on: list[Expression | str] | Expression | str | None = None,
        right_on: list[Expression | str] | Expression | str | None = None,
        how: str = "inner",
        strategy: str | None = None,
        prefix: str | None = None,
        suffix: str | None = None,
    ) -> DataFrame:
        """Joins with ``other`` (``how``: inner, left, right, outer, semi, anti,
        cross). Keys with the same name on both sides appear once; other right
        columns whose names are taken get ``prefix``/``suffix`` (default
        prefix ``right.``)."""
        expect_type("DataFrame.join", "other", other, DataFrame, "DataFrame")
        if on is not None and (left_on is not None or right_on is not None):
            raise ValueError("join(): pass either on= or left_on= and right_on=, not both")
        if strategy not in (None, "hash", "sort_merge", "broadcast"):
            raise ValueError(f"join(): unknown strategy {strategy!r}")
        lk = _exprs(_as_list(on if on is not None else left_on))
        rk = _exprs(_as_list(on if on is not None else right_on))
        plan = self._plan.join(other._plan, [e._expr for e in lk], [e._expr for e in rk], how, prefix, suffix)
        return self._new(plan)

    def join_asof(
        self,
        other: DataFrame,
        *,
        on: Expression | str | None = None,
        left_on: Expression | str | None = None,
        right_on: Expression | str | None = None,
        by: list[Expression | str] | Expression | str | None = None,
        left_by: list[Expression | str] | Expression | str | None = None,
        right_by: list[Expression | str] | Expression | str | None = None,
        strategy: str = "backward",
        prefix: str | None = None,
        suffix: str | None = None,
        _assume_sorted_and_aligned: bool = False,
    ) -> DataFrame:
        """Point-in-time join: every left row, with the right row of equal ``by`` keys whose
        ``on`` value is the latest at or before the left one (``backward``), the earliest at or
        after it (``forward``) or the closest (``nearest``, ties to the later one); right
        columns are null where none matches.

        Planned as a union of both sides sorted by (by, on) with a window carrying the matching
        right row's id (``last_value``/``first_value`` ignoring nulls), then a join back to the
        right side for its columns: one sort, no inequality join. Right columns named like a
        left column get ``prefix``/``suffix`` (default prefix ``right.``), except the ``on`` and
        ``by`` keys of the same name, which appear once.
        """
        expect_type("DataFrame.join_asof", "other", other, DataFrame, "DataFrame")
        if on is not None:
            if left_on is not None or right_on is not None:
                raise ValueError("If `on` is set then `left_on` and `right_on` must be None")
            left_on = right_on = on
        elif left_on is None or right_on is None:
            raise ValueError("If `on` is None then both `left_on` and `right_on` must be set")
        if by is not None:
            if left_by is not None or right_by is not None:
                raise ValueError("Cannot specify both `by` and `left_by`/`right_by`")
            left_by = right_by = by
        elif (left_by is None) != (right_by is None):
            raise ValueError("`left_by` and `right_by` must both be set or both be None")
        lby = _exprs(_flatten([left_by])) if left_by is not None else []
        rby = _exprs(_flatten([right_by])) if right_by is not None else []
        if len(lby) != len(rby):
            raise ValueError("`left_by` and `right_by` must have the same length")
        if strategy not in ("backward", "forward", "nearest"):
            raise ValueError(f"join_asof() strategy must be 'backward', 'forward' or 'nearest', got {strategy!r}")
        lon, ron = _expr_or_col(left_on), _expr_or_col(right_on)
        plan = self._plan.join_asof(
            other._plan, lon._expr, ron._expr, [e._expr for e in lby], [e._expr for e in rby], strategy, prefix, suffix
        )
        return self._new(plan)

    def unpivot(
        self,
        ids: Expression | str | Iterable[Expression | str],
        values: Expression | str | Iterable[Expression | str] = [],  # noqa: B006 - Daft's signature
        variable_name: str = "variable",
        value_name: str = "value",
    ) -> DataFrame:
        """Wide to long: for each of ``values`` (default: every column not in ``ids``), one row per
        input row with the ``ids``, the column name as ``variable_name`` and its value as
        ``value_name`` (cast to the values' common type)."""
        id_exprs = _exprs(_flatten([ids]))
        value_exprs = _exprs(_flatten([values]))
        if not value_exprs:
            taken = {e.name() for e in id_exprs}
            value_exprs = [col(n) for n in self.column_names if n not in taken]
        plan = self._plan.unpivot(
            [e._expr for e in id_exprs], [e._expr for e in value_exprs], variable_name, value_name
        )
        return self._new(plan)

    melt = unpivot

    def pivot(
        self,
        group_by: Expression | str | Iterable[Expression | str],
        pivot_col: Expression | str,
        value_col: Expression | str,
        agg_fn: str,
        names: list[str] | None = None,
    ) -> DataFrame:
        """Long to wide: one row per ``group_by`` key and one column per value of ``pivot_col``
        (``names``, or every distinct value, which runs a query to find them, as in Daft), each
        holding ``agg_fn`` of ``value_col`` over the rows where ``pivot_col`` has that value, null
        where there are none. ``agg_fn`` is one of Daft's ``sum``, ``count``, ``min``, ``max``,
        ``mean``, ``any_value``, ``list``, ``set``, ``concat``, ``skew``, ``product``,
        ``count_distinct``, or (ketch extra) another aggregation method's name such as ``stddev``.
        A column is named after the value's string form; null pivot values form the column
        ``None``, as in Daft."""
        keys = _exprs(_flatten([group_by]))
        pivot, value = _expr_or_col(pivot_col), _expr_or_col(value_col)
        daft_names = {"list": "list_agg", "set": "list_agg_distinct", "concat": "string_agg"}
        method = daft_names.get(agg_fn, agg_fn) if isinstance(agg_fn, str) else None
        agg = getattr(value, method)() if method is not None and hasattr(Expression, method) else None
        if not isinstance(agg, Expression):
            raise ValueError(f"pivot() agg_fn must be the name of an aggregation such as 'sum', got {agg_fn!r}")
        if names is None:
            found = get_or_create_runner().run(self._plan.pivot_names(pivot._expr)).read_all()
            names = list(dict.fromkeys(found.column(0).to_pylist()))
        plan = self._plan.pivot([k._expr for k in keys], pivot._expr, agg._expr, [str(n) for n in names])
        return self._new(plan)

    def describe(self) -> DataFrame:
        """The schema as a DataFrame: ``column_name`` and ``type`` (Daft's display name), one row per column."""
        fields = list(self.schema())
        return _from_table(pa.table({"column_name": [f.name for f in fields], "type": [str(f.dtype) for f in fields]}))

    def summarize(self) -> DataFrame:
        """Per-column statistics: ``column``, ``type``, ``min`` and ``max`` (as strings), ``count``,
        ``count_nulls`` and ``approx_count_distinct``; one row per column (runs a query)."""
        parts = []
        for f in self.schema():
            c = col(f.name)
            stats = self.agg(
                c.min().cast(DataType.string()).alias("min"),
                c.max().cast(DataType.string()).alias("max"),
                c.count().alias("count"),
                c.count("null").alias("count_nulls"),
                F.approx_count_distinct(c).alias("approx_count_distinct"),
            )
            parts.append(
                stats.select(
                    lit(f.name).alias("column"),
                    lit(str(f.dtype)).alias("type"),
                    *[col(n) for n in ("min", "max", "count", "count_nulls", "approx_count_distinct")],
                )
            )
        out = parts[0]
        for p in parts[1:]:
            out = out.concat(p)
        return out

    def transform(self, func: Any, *args: Any, **kwargs: Any) -> DataFrame:
        """``func(self, *args, **kwargs)``, which must return a DataFrame."""
        result = func(self, *args, **kwargs)
        assert isinstance(result, DataFrame), (
            f"Func returned an instance of type [{type(result)}], should have been DataFrame."
        )
        return result

    def pipe(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """``function(self, *args, **kwargs)``, whatever it returns."""
        return function(self, *args, **kwargs)

    def concat(self, other: DataFrame) -> DataFrame:
        """Rows of ``self`` then rows of ``other`` (same columns)."""
        expect_type("DataFrame.concat", "other", other, DataFrame, "DataFrame")
        return self._new(self._plan.concat(other._plan))

    def _set(self, other: DataFrame, kind: str) -> DataFrame:
        expect_type(f"DataFrame.{kind}", "other", other, DataFrame, "DataFrame")
        return self._new(self._plan.set_op(other._plan, kind))

    def union(self, other: DataFrame) -> DataFrame:
        """Distinct rows of both (SQL ``UNION``)."""
        return self._set(other, "union")

    def union_all(self, other: DataFrame) -> DataFrame:
        """All rows of both (SQL ``UNION ALL``)."""
        return self._set(other, "union_all")

    def union_by_name(self, other: DataFrame) -> DataFrame:
        """Distinct rows of both, matching columns by name (missing ones null)."""
        return self._set(other, "union_by_name")

    def union_all_by_name(self, other: DataFrame) -> DataFrame:
        return self._set(other, "union_all_by_name")

    def intersect(self, other: DataFrame) -> DataFrame:
        return self._set(other, "intersect")

    def intersect_all(self, other: DataFrame) -> DataFrame:
        return self._set(other, "intersect_all")

    def except_distinct(self, other: DataFrame) -> DataFrame:
        return self._set(other, "except_distinct")

    def except_all(self, other: DataFrame) -> DataFrame:
        return self._set(other, "except_all")

    # --- execution and output -----------------------------------------
    def collect(self, num_preview_rows: int | None = 8) -> DataFrame:
        """Runs the query and keeps the result in memory; returns ``self``.
        Its repr then shows ``num_preview_rows`` rows (``None``: all).

        >>> import ketch
        >>> df = ketch.from_pydict({"a": list(range(20))}).where(ketch.col("a") >= 0).collect(num_preview_rows=3)
        >>> repr(df).splitlines()[-1]
        '(Showing first 3 of 20 rows)'
        """
        if num_preview_rows is not None and (
            isinstance(num_preview_rows, bool) or not isinstance(num_preview_rows, int) or num_preview_rows < 0
        ):
            raise ValueError(f"num_preview_rows must be a non-negative int or None, got {num_preview_rows!r}")
        self._num_preview_rows = num_preview_rows
        if self._result is None:
            reader, self._metrics = get_or_create_runner().run_with_metrics(self._plan)
            self._result = reader.read_all()
            self._plan = _session().scan_arrow(self._result, 1)
        return self

    @property
    def metrics(self) -> pa.RecordBatch | None:
        """What each operator did when :meth:`collect` ran the query, as in
        Daft: one row per operator (sources first) with columns ``id``
        (uint64), ``name``, ``type`` (DataFusion's operator), ``category``
        (``Source``, ``Intermediate`` or ``BlockingSink``), ``duration``
        (CPU time, duration[ms]) and ``stats``, a map of metric name to
        ``{"value": float, "unit": str | None}``: ``duration`` (CPU time,
        µs), ``wall`` (µs from the operator's start to its end), ``rows.in``,
        ``rows.out``, and where the operator has them ``bytes.out``,
        ``batches.out``, ``spill.count``, ``bytes.spilled``, ``rows.spilled``,
        ``memory.peak``; for file sources ``files.total``, ``files.read``,
        ``bytes.total``, ``bytes.read`` (Parquet), for in-memory sources
        ``rows.total``; for UDF projections ``udf.calls`` and
        ``udf.rows.failed`` (rows ``on_error`` made null); and the
        operator's own DataFusion counters. A ``pyarrow.RecordBatch``
        (Daft returns its own ``RecordBatch``; both have ``to_pylist()``);
        ``None`` when the runner reports none or the frame was built from
        data already in memory. Raises ``ValueError`` before the DataFrame
        is materialized.

        >>> import ketch
        >>> df = ketch.from_pydict({"a": [3, 1, 2]}).sort("a").collect()
        >>> [row["type"] for row in df.metrics.to_pylist()]
        ['DataSourceExec', 'SortExec']
        >>> dict(df.metrics.to_pylist()[1]["stats"])["rows.out"]["value"]
        3.0
        """
        if self._result is None:
            raise ValueError("Metrics are not available until the DataFrame has been materialized")
        return self._metrics

    def to_arrow(self) -> pa.Table:
        """The result as a ``pyarrow.Table`` (no copy)."""
        return self._run()

    def to_ray_dataset(self) -> ray.data.Dataset:
        """The result as a Ray Dataset (``ray.data.Dataset``), one Arrow block per
        result batch, for training or processing on Ray (Daft's native-runner path).
        Columns of Python objects make a Dataset of row dicts
        (``ray.data.from_items``), as in Daft. Runs the query first.

        Raises ``ImportError`` when Ray is not installed (``pip install
        'ketch[ray]'``).

        >>> import ray  # doctest: +SKIP
        >>> from ketch.memory import from_pydict
        >>> from_pydict({"x": [1, 2]}).to_ray_dataset().take_all()  # doctest: +SKIP
        [{'x': 1}, {'x': 2}]
        """
        ray_data = _optional("ray.data", "DataFrame.to_ray_dataset", "ray")
        table = self._run()
        if any(logical.of_field(f)[1] == "Python" for f in table.schema):
            return ray_data.from_items(pyvalues.to_pylist(table))
        blocks = [pa.Table.from_batches([b], table.schema) for b in table.to_batches()]
        return ray_data.from_arrow(blocks or [table])

    def to_dask_dataframe(self, meta: Any = None) -> dask.dataframe.DataFrame:
        """The result as a Dask DataFrame (``dask.dataframe.DataFrame``), one
        partition per result batch, each a pandas DataFrame converted as
        :meth:`to_pandas` converts. ``meta`` (an empty pandas DataFrame, a
        ``{name: dtype}`` dict or ``(name, dtype)`` pairs) overrides the column
        types Dask is told; by default they are the result's own. Runs the query
        first.

        Unlike Daft, which needs its Ray runner here (and switches Dask's global
        scheduler to Ray's), this works on the native runner and leaves Dask's
        scheduler as the caller set it.

        Raises ``ImportError`` when ``dask[dataframe]`` is not installed.

        >>> from ketch.memory import from_pydict
        >>> ddf = from_pydict({"x": [1, 2, 3]}).to_dask_dataframe()
        >>> int(ddf["x"].sum().compute())
        6
        """
        dask = _optional("dask", "DataFrame.to_dask_dataframe", "dask[dataframe]")
        dd = _optional("dask.dataframe", "DataFrame.to_dask_dataframe", "dask[dataframe]")
        table = self._run()
        batches = table.to_batches() or [table.slice(0, 0)]
        parts = [dask.delayed(_batch_to_pandas)(b, table.schema) for b in batches]
        if meta is None:
            meta = pyvalues.to_pandas(table.slice(0, 0))
        return dd.from_delayed(parts, meta=meta)

    def to_arrow_iter(self, results_buffer_size: int | str | None = "num_cpus") -> Iterator[pa.RecordBatch]:
        """Result batches as the query produces them."""
        if self._result is not None:
            yield from self._result.to_batches()
            return
        yield from get_or_create_runner().run_iter(self._plan, results_buffer_size)

    def iter_partitions(self, results_buffer_size: int | str | None = "num_cpus") -> Iterator[pa.RecordBatch]:
        yield from self.to_arrow_iter(results_buffer_size)

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self.to_arrow().__arrow_c_stream__(requested_schema)

    def to_pydict(self) -> dict[str, list]:
        return pyvalues.to_pydict(self._run())

    def to_pylist(self) -> list[dict[str, Any]]:
        return pyvalues.to_pylist(self._run())

    def to_pandas(self, coerce_temporal_nanoseconds: bool = False) -> pandas.DataFrame:
        return pyvalues.to_pandas(self._run(), coerce_temporal_nanoseconds)

    def iter_rows(
        self, results_buffer_size: int | str | None = "num_cpus", column_format: str = "python"
    ) -> Iterator[dict[str, Any]]:
        """Rows as dicts, streamed batch by batch."""
        if column_format not in ("python", "arrow"):
            raise ValueError(f"column_format must be 'python' or 'arrow', got {column_format!r}")
        for batch in self.to_arrow_iter():
            if column_format == "python":
                yield from pyvalues.to_pylist(batch)
            else:
                for i in range(batch.num_rows):
                    yield {name: batch.column(j)[i] for j, name in enumerate(batch.schema.names)}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.iter_rows()

    # --- writes -------------------------------------------------------
    def _write(
        self, fmt: str, root_dir, write_mode: str, partition_cols, io_config=None, single_file=False, **kw
    ) -> DataFrame:
        if write_mode not in ("append", "overwrite", "overwrite-partitions"):
            raise ValueError(
                f"Only support `append`, `overwrite`, or `overwrite-partitions` mode. {write_mode} is unsupported"
            )
        if single_file and write_mode == "overwrite-partitions":
            raise ValueError("`single_file=True` cannot be combined with `write_mode='overwrite-partitions'`.")
        if write_mode == "overwrite-partitions" and not partition_cols:
            raise ValueError("Partition columns must be specified to use `overwrite-partitions` mode.")
        if single_file and partition_cols is not None:
            raise ValueError("`single_file=True` cannot be combined with `partition_cols`.")
        names = []
        for c in partition_cols or []:
            e = _expr_or_col(c)
            name = e.column_name()
            if name is None:
                raise ValueError(f"partition_cols takes column names, got {c!r}")
            self.schema()[name]
            names.append(name)
        root = os.fspath(root_dir)
        if "://" not in root:
            root = os.path.expanduser(root)
        elif root.split("://", 1)[0].lower() in ("http", "https"):
            raise ValueError(f"cannot write to {root}: http(s):// URLs are read only")
        config = get_context().daft_execution_config
        target = getattr(config, f"{fmt}_target_filesize") * getattr(config, f"{fmt}_inflation_factor")
        row_group = config.parquet_target_row_group_size * config.parquet_inflation_factor
        plan = self._plan.write(
            root,
            fmt,
            write_mode,
            names,
            int(target),
            int(row_group),
            single_file=single_file,
            io_config=io_config_json(io_config),
            **kw,
        )
        return _from_table(get_or_create_runner().run_write(plan))

    def write_parquet(
        self,
        root_dir: str | os.PathLike,
        compression: str = "snappy",
        write_mode: str = "append",
        write_success_file: bool = False,
        partition_cols: list[Expression | str] | None = None,
        io_config: Any = None,
        column_compression: dict[str, str] | None = None,
        single_file: bool = False,
    ) -> DataFrame:
        """Writes Parquet files under ``root_dir`` (a local path or an
        ``s3://``, ``gs://``, ``az://``/``abfs://`` URL, reached with
        ``io_config`` or the planning config's default); returns a DataFrame
        of the written paths (String, the root as given joined with Daft's
        ``<uuid>-<n>.parquet`` names) and the partition values.

        ``write_mode``: ``append``, ``overwrite`` (every other data file under
        the root removed) or ``overwrite-partitions`` (files in the written
        ``k=v`` folders removed). Files are staged under a hidden prefix and
        moved into place only after every file is written, old files removed
        last: a failed write leaves ``root_dir`` as it was. Files and row
        groups are sized by the execution config's
        ``parquet_target_filesize`` / ``parquet_target_row_group_size`` (bytes
        on disk, via ``parquet_inflation_factor``). ``compression`` and
        ``column_compression`` name codecs (``snappy``, ``zstd``, ``gzip``,
        ``lz4``, ``brotli``, ``none``); ``single_file`` writes exactly the
        file ``root_dir``; ``write_success_file`` an empty ``_SUCCESS``.

        Raises ValueError for invalid option combinations (Daft's messages),
        DaftCoreException for a failed query or storage request, naming the
        root."""
        return self._write(
            "parquet",
            root_dir,
            write_mode,
            partition_cols,
            io_config,
            single_file,
            compression=compression,
            column_compression=list((column_compression or {}).items()),
            write_success_file=write_success_file,
        )

    def write_csv(
        self,
        root_dir: str | os.PathLike,
        write_mode: str = "append",
        partition_cols: list[Expression | str] | None = None,
        io_config: Any = None,
        delimiter: str | None = None,
        quote: str | None = None,
        escape: str | None = None,
        header: bool | None = True,
        date_format: str | None = None,
        timestamp_format: str | None = None,
    ) -> DataFrame:
        """Writes CSV files under ``root_dir`` (see :meth:`write_parquet`);
        sized by ``csv_target_filesize``; ``delimiter``, ``quote``,
        ``escape`` are one character, ``header`` writes the column names."""
        return self._write(
            "csv",
            root_dir,
            write_mode,
            partition_cols,
            io_config,
            delimiter=delimiter,
            quote=quote,
            escape=escape,
            header=True if header is None else header,
            date_format=date_format,
            timestamp_format=timestamp_format,
        )

    def write_json(
        self,
        root_dir: str | os.PathLike,
        write_mode: str = "append",
        partition_cols: list[Expression | str] | None = None,
        io_config: Any = None,
        ignore_null_fields: bool | None = False,
        date_format: str | None = None,
        timestamp_format: str | None = None,
    ) -> DataFrame:
        """Writes newline-delimited JSON files under ``root_dir`` (see
        :meth:`write_parquet`); sized by ``json_target_filesize``. A null
        field is written as ``null``, or left out with ``ignore_null_fields``."""
        return self._write(
            "json", root_dir, write_mode, partition_cols, io_config, ignore_null_fields=bool(ignore_null_fields)
        )

    def write_deltalake(
        self,
        table: Any,
        partition_cols: list[str] | None = None,
        mode: str = "append",
        schema_mode: str | None = None,
        name: str | None = None,
        description: str | None = None,
        configuration: Any = None,
        custom_metadata: dict[str, str] | None = None,
        dynamo_table_name: str | None = None,
        allow_unsafe_rename: bool = False,
        io_config: Any = None,
        checkpoint: Any = None,
    ) -> DataFrame:
        """Writes the rows to a Delta Lake table (path, URL or
        ``deltalake.DeltaTable``) through the ``deltalake`` package, streamed
        batch by batch; ``mode`` is ``append``, ``overwrite``, ``error`` or
        ``ignore``. Returns the files added and removed, as Daft: columns
        ``operation`` (``ADD``/``DELETE``), ``rows``, ``file_size`` (bytes)
        and ``file_name``. Raises ``ImportError`` without ``deltalake``."""
        return _table_writers["deltalake"](
            self,
            table,
            partition_cols=partition_cols,
            mode=mode,
            schema_mode=schema_mode,
            name=name,
            description=description,
            configuration=configuration,
            custom_metadata=custom_metadata,
            dynamo_table_name=dynamo_table_name,
            allow_unsafe_rename=allow_unsafe_rename,
            io_config=io_config,
        )

    def write_iceberg(
        self,
        table: Any,
        mode: str = "append",
        io_config: Any = None,
        snapshot_properties: dict[str, str] | None = None,
        checkpoint: Any = None,
        overwrite_filter: Any = None,
        validate_overwrite_filter: bool = True,
    ) -> DataFrame:
        """Appends the rows to (``mode="overwrite"``: replaces the rows of) a
        ``pyiceberg`` ``Table`` in one commit. Returns the data files added
        and removed (``operation``, ``rows``, ``file_size``, ``file_name``).
        Raises ``ImportError`` without ``pyiceberg``, ``ValueError`` for an
        unknown mode or an ``overwrite_filter`` (not supported)."""
        if overwrite_filter is not None:
            raise ValueError("write_iceberg: overwrite_filter is not supported")
        return _table_writers["iceberg"](
            self, table, mode=mode, io_config=io_config, snapshot_properties=snapshot_properties
        )

    def write_sql(
        self,
        table_name: str,
        conn: str | Callable[[], Any],
        write_mode: Literal["append", "overwrite", "fail"] = "append",
        column_types: dict[str, Any] | None = None,
        non_primitive_handling: Literal["bytes", "str", "error"] | None = None,
    ) -> DataFrame:
        """Writes the rows to the SQL table ``table_name`` through SQLAlchemy and
        pandas' ``to_sql`` (Daft's ``write_sql``).

        Args:
            table_name (str): the table; created when missing.
            conn (str | Callable): a SQLAlchemy URL or a function returning a
                SQLAlchemy ``Connection``.
            write_mode (str): ``"append"``, ``"overwrite"`` (the table is
                replaced) or ``"fail"`` (raise if the table exists).
            column_types (dict | None): SQLAlchemy types by column name, for
                the created table.
            non_primitive_handling (str | None): lists, structs, maps, tensors,
                images and Python objects are written as JSON/str text
                (``"str"``, the default), as its UTF-8 bytes (``"bytes"``), or
                refused (``"error"``).

        Returns:
            DataFrame: one row, ``total_written_rows`` and
            ``total_written_bytes`` (Int64).

        Raises:
            ValueError: a bad ``write_mode``/``non_primitive_handling``, the
                table exists with ``"fail"``, or non-primitive columns with
                ``"error"``.
            RuntimeError: the database rejected the write; the whole write is
                one transaction, so the table is left as it was.

        >>> import ketch, os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "db.sqlite")
        >>> ketch.from_pydict({"id": [1, 2]}).write_sql("t", url).to_pydict()["total_written_rows"]
        [2]
        >>> ketch.read_sql("SELECT * FROM t", url).to_pydict()
        {'id': [1, 2]}
        """
        return _table_writers["sql"](self, table_name, conn, write_mode, column_types, non_primitive_handling)

    def write_sink(self, sink: Any) -> DataFrame:
        """Writes the rows to a user-defined :class:`ketch.io.sink.DataSink`
        (Daft's ``write_sink``): ``sink.start()``, then ``sink.write`` over the
        partitions as they are computed, then ``sink.finalize(results)``.
        Blocking; returns the finalized partition as a DataFrame.

        Raises:
            TypeError: ``sink`` is not a DataSink.
            RuntimeError: ``sink.write`` raised (the message names the sink and
                the original exception).
            ValueError: the finalized partition's schema is not ``sink.schema()``.
        """
        return _table_writers["sink"](self, sink)

    def write_lance(
        self,
        uri: str | os.PathLike,
        mode: str = "create",
        io_config: Any = None,
        schema: Any = None,
        left_on: str | None = None,
        right_on: str | None = None,
        **kwargs: Any,
    ) -> DataFrame:
        """Writes the rows as a Lance dataset through ``pylance``, streamed
        batch by batch: ``mode`` ``create``, ``append``, ``overwrite`` or
        ``merge`` (new columns joined on ``left_on``/``right_on``); other
        keyword arguments go to ``lance.write_dataset``. Returns one row:
        ``num_fragments``, ``num_rows`` and ``version`` of the dataset after
        the write. Raises ``ImportError`` without ``pylance``."""
        return _table_writers["lance"](
            self, uri, mode=mode, io_config=io_config, schema=schema, left_on=left_on, right_on=right_on, **kwargs
        )

    # --- display ------------------------------------------------------
    def _preview(self, n: int, html: bool = False) -> tuple[list[str], list[str], list[list[Any]] | None, str]:
        schema = self.schema()
        names = schema.column_names()
        dtypes = [repr(f.dtype) for f in schema]
        if self._result is None:
            return (
                names,
                dtypes,
                None,
                "(No data to display: Dataframe not materialized, use .collect() to materialize)",
            )
        total = self._result.num_rows
        if total == 0:
            return names, dtypes, [[] for _ in names], "(No data to display: Materialized dataframe has no rows)"
        head = self._result.slice(0, n)
        return names, dtypes, _preview_columns(head, html), f"(Showing first {min(n, total)} of {total} rows)"

    def _preview_rows(self) -> int:
        """Rows the repr shows: ``collect``'s ``num_preview_rows`` (``None``:
        all), by default the execution config's ``num_preview_rows``."""
        n = self._num_preview_rows
        return n if n is not None else (self._result.num_rows if self._result is not None else 0)

    def __repr__(self) -> str:
        return table_text(*self._preview(self._preview_rows()))

    def _repr_html_(self) -> str:
        """The first rows (8 by default, see :meth:`_preview_rows`) as an HTML
        table; image cells are inline PNG thumbnails (longer side 128 px), as
        Daft shows them in notebooks."""
        return table_html(*self._preview(self._preview_rows(), html=True))

    def _repr_mimebundle_(self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None) -> dict:
        """Jupyter's rich display: ``text/plain`` (the repr) and ``text/html``,
        filtered by ``include``/``exclude`` as in Daft."""
        include_set = set(include) if include is not None else None
        exclude_set = set(exclude) if exclude is not None else set()
        bundle: dict[str, str] = {}
        for mime, render in (("text/plain", self.__repr__), ("text/html", self._repr_html_)):
            if (include_set is None or mime in include_set) and mime not in exclude_set:
                bundle[mime] = render()
        return bundle

    def show(
        self,
        n: int = 8,
        format: str | None = None,
        verbose: bool | None = None,
        max_width: int | None = None,
        align: str | None = None,
        columns: Any = None,
    ) -> None:
        """Prints the first ``n`` rows as a table (runs only what is needed)."""
        expect_type("DataFrame.show", "n", n, int, "<class 'int'>")
        head = self.limit(n)._run()
        schema = self.schema()
        names = schema.column_names()
        dtypes = [repr(f.dtype) for f in schema]
        columns_ = _preview_columns(head, html=False)
        if not head.num_rows:
            footer = "(No data to display: Materialized dataframe has no rows)"
        elif self._result is not None:
            footer = f"(Showing first {head.num_rows} of {self._result.num_rows} rows)"
        elif head.num_rows < n:  # fewer than asked for: that is all of them (Daft's rule)
            footer = f"(Showing first {head.num_rows} of {head.num_rows} rows)"
        else:
            footer = f"(Showing first {head.num_rows} rows)"
        render = table_html if format == "html" else table_text
        print(render(names, dtypes, columns_, footer))

    def shuffle(self, seed: int | None = None) -> DataFrame:
        """The rows in a random order (Daft's ``shuffle``: a global sort on a
        random key, expensive). With ``seed`` the order is the same on every
        run over the same input (the key is a seeded hash of each row's
        position), though not Daft's order; ``None`` gives a new order each
        run. Raises ``TypeError`` for a seed that is not an int.

        >>> import ketch
        >>> df = ketch.from_pydict({"x": list(range(5))})
        >>> sorted(df.shuffle(seed=3).to_pydict()["x"]) == list(range(5))
        True
        >>> df.shuffle(seed=3).to_pydict() == df.shuffle(seed=3).to_pydict()
        True
        """
        if seed is None:
            key = F.random_int(0, 2**53)
        elif isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"shuffle: seed must be an int or None, got {seed!r}")
        else:
            key = F.monotonically_increasing_id().hash(seed=seed)
        name = "__ketch_shuffle_key"
        return self.with_column(name, key).sort(name).exclude(name)

    def skip_existing(
        self,
        existing_path: str | os.PathLike | list[str | os.PathLike],
        key_column: str | list[str],
        file_format: str,
        io_config: Any = None,
        num_workers: int = 4,
        cpus_per_worker: float = 0.5,
        keys_load_batch_size: int = 100000,
        max_concurrency_per_worker: int = 1,
        filter_batch_size: int = 10000,
        **reader_args: Any,
    ) -> DataFrame:
        """The rows whose ``key_column`` value(s) are not already in the data
        at ``existing_path`` (Daft's ``skip_existing``, for pipelines that
        resume): the existing files (``parquet``, ``csv``, ``json``/
        ``jsonl``/``ndjson``, read with ``reader_args``) are anti-joined on
        the keys. A missing path is skipped with a warning; when none exists,
        the DataFrame is returned unchanged. ``num_workers``,
        ``cpus_per_worker``, ``keys_load_batch_size``,
        ``max_concurrency_per_worker`` and ``filter_batch_size`` size Daft's
        Ray actors; they are checked and have no effect here (ketch filters
        with one hash anti join). Raises ``ValueError`` for an unknown
        format, empty paths or keys, or a setting out of range.

        >>> import ketch, tempfile, pyarrow as pa, pyarrow.parquet as pq
        >>> folder = tempfile.mkdtemp()
        >>> pq.write_table(pa.table({"id": [1, 3]}), folder + "/part-0.parquet")
        >>> df = ketch.from_pydict({"id": [1, 2, 3, 4], "value": ["a", "b", "c", "d"]})
        >>> sorted(df.skip_existing(folder, key_column="id", file_format="parquet").to_pydict()["id"])
        [2, 4]
        """
        fmt = str(getattr(file_format, "name", file_format)).strip().lower()  # also Daft's FileFormat.Csv
        fmt = {"jsonl": "json", "ndjson": "json"}.get(fmt, fmt)
        if fmt not in ("parquet", "csv", "json"):
            raise ValueError(f"[skip_existing] Unsupported format: {file_format}")
        paths = [os.fspath(p) for p in existing_path] if isinstance(existing_path, list) else [os.fspath(existing_path)]
        if not paths or any(p == "" for p in paths):
            raise ValueError("[skip_existing] existing_path must be a non-empty list of non-empty paths")
        keys = key_column if isinstance(key_column, list) else [key_column]
        if not keys or any(not isinstance(k, str) or k == "" for k in keys):
            raise ValueError("[skip_existing] key_column must be a non-empty list of non-empty column names")
        for name, value in (
            ("num_workers", num_workers),
            ("keys_load_batch_size", keys_load_batch_size),
            ("max_concurrency_per_worker", max_concurrency_per_worker),
            ("filter_batch_size", filter_batch_size),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"[skip_existing] {name} must be a positive int, got {value!r}")
        if not cpus_per_worker > 0:
            raise ValueError(f"[skip_existing] cpus_per_worker must be positive, got {cpus_per_worker!r}")
        found, missing = [], []
        config = io_config_json(io_config)
        for p in paths:
            local = p if "://" in p else os.path.expanduser(p)
            try:
                _session().glob_files(local, io_config=config)
                found.append(local)
            except FileNotFoundError:
                missing.append(p)
        if not found:
            warnings.warn(f"[skip_existing] No existing data found at {paths}, processing all rows.", stacklevel=2)
            return self
        if missing:
            warnings.warn(
                f"[skip_existing] Some existing data paths were not found at {missing}; "
                f"continuing with existing paths {found}.",
                stacklevel=2,
            )
        existing = _file_readers[fmt](found, io_config=io_config, **reader_args)
        return self.join(existing.select(*keys).distinct(), on=keys, how="anti")

    def explain_analyze(self, file: Any = None) -> None:
        """Runs the query and prints the executed physical plan with each
        operator's metrics, aggregated over its partitions (DataFusion's
        ``EXPLAIN ANALYZE``): ``output_rows``, ``output_batches``,
        ``output_bytes``, ``elapsed_compute`` (CPU time), spills, bytes
        scanned, and for UDF projections ``udf.calls`` and
        ``udf.rows.failed``. ketch's addition: Daft gives these numbers only
        through :attr:`metrics`. Prints to ``file`` (default stdout); the
        result is not kept.

        >>> import ketch
        >>> df = ketch.from_pydict({"a": [1, 2, 3]}).where(ketch.col("a") > 1)
        >>> import io; out = io.StringIO(); df.explain_analyze(file=out)
        >>> "FilterExec" in out.getvalue() and "output_rows=2" in out.getvalue()
        True
        """
        print(get_or_create_runner().explain_analyze(self._plan), file=file)

    def explain(self, show_all: bool = False, format: str = "ascii", simple: bool = False, file: Any = None) -> Any:
        """Prints the logical plan; with ``show_all``, also the optimized and physical plans."""
        text = "== Unoptimized Logical Plan ==\n\n" + self._plan.display() + "\n"
        if show_all:
            text += "\n" + get_or_create_runner().explain(self._plan, True)
        print(text, file=file)
        return None


def concat(dfs: Iterable[DataFrame]) -> DataFrame:
    """The rows of each DataFrame in ``dfs``, in order (Daft's
    ``daft.concat``). All must have exactly the same schema. Raises
    ``ValueError`` for no DataFrames or a schema that differs (naming its
    index), ``TypeError`` for something that is not a DataFrame.

    >>> import ketch
    >>> a, b = ketch.from_pydict({"x": [1, 2]}), ketch.from_pydict({"x": [3]})
    >>> ketch.concat([a, b]).to_pydict()
    {'x': [1, 2, 3]}
    """
    frames = list(dfs)
    if not frames:
        raise ValueError("daft.concat requires at least one DataFrame")
    for i, df in enumerate(frames):
        expect_type("concat", f"dfs[{i}]", df, DataFrame, "DataFrame")
    expected = frames[0].schema()
    for i, df in enumerate(frames[1:], start=1):
        if df.schema() != expected:
            raise ValueError(
                f"DataFrame at index {i} has a different schema.\nExpected:\n{expected}\n\nReceived:\n{df.schema()}"
            )
    result = frames[0]
    for df in frames[1:]:
        result = result.concat(df)
    return result


def _from_table(table: pa.Table, num_partitions: int = 1) -> DataFrame:
    """A DataFrame over ``table`` (already materialized), in ``num_partitions`` partitions."""
    return DataFrame(_session().scan_arrow(table, num_partitions), _materialized=table)


# ``DataFrame.write_deltalake``, ``write_iceberg`` and ``write_lance``: set by
# :mod:`ketch.table_formats` (a higher module: its readers build DataFrames)
# when it is imported; keyed ``deltalake``, ``iceberg``, ``lance``; and
# ``write_sink``, keyed ``sink``, set by :mod:`ketch.io.sink`, and
# ``write_sql``, keyed ``sql``, set by :mod:`ketch.io._sql`.
_table_writers: dict[str, Callable[..., DataFrame]] = {}

# ``DataFrame.skip_existing``'s readers (``parquet``, ``csv``, ``json``): set
# by :mod:`ketch.io` (a higher module) when it is imported.
_file_readers: dict[str, Callable[..., DataFrame]] = {}


def _aggregate(df: DataFrame, group_by: list[Expression], aggs: list) -> DataFrame:
    for i, a in enumerate(aggs):
        if isinstance(a, str):
            aggs[i] = col(a)
        elif not isinstance(a, Expression):
            raise APITypeError(f"agg() expects Expressions, got {type(a).__name__} at position {i}")
    if not aggs and not group_by:
        raise ValueError("agg() needs at least one aggregation")
    plan = df._plan.aggregate([g._expr for g in group_by], [a._expr for a in aggs])
    return df._new(plan)


def _sql_predicate(df: DataFrame, text: str) -> Expression:
    """A predicate written in SQL (``"a > 1 AND b IS NOT NULL"``) over ``df``'s columns."""
    return Expression(_session().sql_expr(df._plan, text))


class GroupedDataFrame:
    """The result of :meth:`DataFrame.groupby`; aggregate it with :meth:`agg` or a shortcut."""

    def __init__(self, df: DataFrame, group_by: list[Expression]) -> None:
        """Raises ``ExpressionTypeError`` for a key of the Null type, as Daft."""
        if group_by:
            keys = df._plan.select([g._expr for g in group_by]).schema()
            for field, e in zip(keys, group_by):
                if pa.types.is_null(field.type):
                    raise ExpressionTypeError(f"Cannot groupby on null type expression: {e}")
        self.df = df
        self.group_by = group_by

    def agg(self, *to_agg: Expression | Iterable[Expression]) -> DataFrame:
        """One row per group: the keys, then each aggregation."""
        return _aggregate(self.df, self.group_by, _flatten(to_agg))

    def _shortcut(self, method: str, cols: tuple, **kw) -> DataFrame:
        keys = {g.name() for g in self.group_by}
        if cols:
            targets = _exprs(_flatten(cols))
        else:
            targets = [col(n) for n in self.df.column_names if n not in keys]
            if not targets:
                warnings.warn("No columns specified; performing aggregation on all columns.", stacklevel=3)
        return self.agg(*[getattr(c, method)(**kw) for c in targets])

    def map_groups(self, udf: Expression) -> DataFrame:
        """Runs the batch UDF ``udf`` once per group, on that group's rows.

        The result has the key columns, each repeated for every row the UDF
        returns for its group, then one column named as ``udf`` (Daft's rule).
        A group for which the UDF returns no rows disappears; null keys form
        their own group. Only batch UDFs (``@func.batch``, ``@method.batch``,
        legacy ``@udf``) can run per group. Lazy: the UDF runs when the result
        is collected.
        """
        if not isinstance(udf, UdfExpression):
            raise DaftCoreException(
                "map_groups needs a batch UDF (daft.func.batch, @daft.method.batch or @daft.udf); row-wise "
                f"UDFs and other expressions cannot run per group, got {udf!r}"
            )
        plan = self.df._plan.map_groups([g._expr for g in self.group_by], udf._expr, udf._group_call)
        return self.df._new(plan)

    def sum(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("sum", cols)

    def mean(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("mean", cols)

    avg = mean

    def min(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("min", cols)

    def max(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("max", cols)

    def count(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("count", cols)

    def count_distinct(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("count_distinct", cols)

    def any_value(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("any_value", cols)

    def list_agg(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("list_agg", cols)

    agg_list = list_agg

    def list_agg_distinct(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("list_agg_distinct", cols)

    agg_set = list_agg_distinct

    def string_agg(self, *cols: Expression | str, delimiter: str | None = None) -> DataFrame:
        return self._shortcut("string_agg", cols, delimiter=delimiter)

    agg_concat = string_agg

    def product(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("product", cols)

    def skew(self, *cols: Expression | str) -> DataFrame:
        return self._shortcut("skew", cols)

    def stddev(self, *cols: Expression | str, ddof: int = 1) -> DataFrame:
        return self._shortcut("stddev", cols, ddof=ddof)

    def var(self, *cols: Expression | str, ddof: int = 1) -> DataFrame:
        return self._shortcut("var", cols, ddof=ddof)


__all__ = ["DataFrame", "GroupedDataFrame", "DataType"]


def _optional(module: str, feature: str, install: str) -> Any:
    """The optional package ``module``, imported; ``ImportError`` naming
    ``feature`` and what to install when it is missing."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"{feature} needs the `{install}` package: pip install '{install}'") from e


def _batch_to_pandas(batch: pa.RecordBatch, schema: pa.Schema) -> Any:
    """One Dask partition: ``batch`` as a pandas DataFrame (as ``to_pandas`` converts)."""
    return pyvalues.to_pandas(pa.Table.from_batches([batch], schema))


def _preview_columns(table: pa.Table, html: bool) -> list[list[Any]]:
    """The cells of a preview: Python values, multimodal ones as display cells
    (image thumbnails made by the engine's ``ketch_thumbnail`` for HTML)."""
    columns = []
    for i, field in enumerate(table.schema):
        values = pyvalues.column_values(table.column(i), field)
        _, lt = logical.of_field(field)
        if lt is None:
            columns.append(values)
            continue
        thumbs = None
        if html and isinstance(lt, dict) and ("Image" in lt or "FixedShapeImage" in lt):
            one = _from_table(table.select([i]))
            thumb = Expression(PyExpr.call("ketch_thumbnail", [col(field.name)._expr, lit(THUMBNAIL_SIZE)._expr]))
            thumbs = one.select(thumb.alias(field.name)).to_pydict()[field.name]
        columns.append(logical_cells(values, lt, thumbs))
    return columns
