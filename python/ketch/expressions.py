"""``Expression``: a lazy column computation with Daft 0.7.26's API.

An Expression wraps a native expression tree; nothing runs until a DataFrame
that uses it is collected. Results are named after the leftmost input column
(``col("a") + 1`` is named ``a``); use :meth:`Expression.alias` to rename.
"""

from __future__ import annotations

import datetime
import decimal
import json
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pyarrow as pa

from ketch import logical as _lg
from ketch._native import PyExpr, function_names
from ketch.datatype import DataType, _as_dtype
from ketch.exceptions import APITypeError


def _arrow_literal(value: Any) -> pa.Array:
    """A one-element Arrow array typed as Daft types a Python literal."""
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent
        scale = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return pa.array([value], pa.decimal128(38, scale))
    if isinstance(value, datetime.datetime):
        tz = None
        if value.tzinfo is not None:
            tz = str(value.tzinfo) if str(value.tzinfo) != "UTC" else "UTC"
        return pa.array([value], pa.timestamp("us", tz=tz))
    try:
        return pa.array([value])
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise TypeError(f"lit() cannot make a literal of {value!r} ({type(value).__name__}): {e}") from None


def _not_imported(module: str) -> Callable[..., Any]:
    def unset(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{module} sets this when it is imported (import ketch)")

    return unset


# Hand-offs to higher modules, which set them when they are imported:
# ``expr.apply(func, return_dtype)`` is a legacy UDF (:mod:`ketch.udf.legacy`),
# ``expr.over(window)`` checks and applies a :class:`ketch.Window` (:mod:`ketch.window`).
_apply_udf: Callable[[Expression, Any, Any], Expression] = _not_imported("ketch.udf.legacy")
_over_window: Callable[[Expression, Any], Expression] = _not_imported("ketch.window")


def _has_fixed_size(t: pa.DataType) -> bool:
    """Whether ``t`` holds a fixed-size binary or list at any depth: Daft's
    ``cast`` raises where a value is not of that size, so ketch's stays strict."""
    if pa.types.is_fixed_size_binary(t) or pa.types.is_fixed_size_list(t):
        return True
    return any(_has_fixed_size(t.field(i).type) for i in range(t.num_fields))


def lit(value: Any) -> Expression:
    """A literal value: int -> Int64, float -> Float64, str -> String, bool,
    None -> Null, date, datetime -> Timestamp[us], time -> Time[us],
    timedelta -> Duration[us], Decimal -> Decimal(38, scale), bytes -> Binary,
    list -> List, a numeric numpy array -> Tensor[dtype] (as Daft).

    >>> import numpy as np, ketch
    >>> df = ketch.from_pydict({"x": [1]}).select(ketch.lit(np.array([[1, 2], [3, 4]])).alias("t"))
    >>> df.schema()["t"].dtype, df.to_pydict()["t"][0].tolist()
    (Tensor[Int64], [[1, 2], [3, 4]])
    """
    if isinstance(value, Expression):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return _tensor_literal(value)
    return Expression(PyExpr.lit(_arrow_literal(value)))


def _tensor_literal(value: np.ndarray) -> Expression:
    """A numeric numpy array as Daft makes it a literal: a ``Tensor[dtype]``
    value (its data and shape)."""
    dtype = DataType.tensor(DataType.from_numpy_dtype(value.dtype))
    storage = pa.array([{"data": value.ravel().tolist(), "shape": list(value.shape)}], dtype._field("literal").type)
    # Tagged with the type by a cast, which travels with plans (a literal's
    # field metadata does not survive serialization).
    return Expression(PyExpr.lit(storage))._cast(dtype, True)


def interval(
    years: int | None = None,
    months: int | None = None,
    days: int | None = None,
    hours: int | None = None,
    minutes: int | None = None,
    seconds: int | None = None,
    millis: int | None = None,
    nanos: int | None = None,
) -> Expression:
    """An interval literal (Daft's ``daft.interval``): Arrow's
    month-day-nanosecond interval, ``years`` and ``months`` as months,
    ``days`` as days, the rest as nanoseconds; added to or subtracted from a
    date or timestamp column as calendar arithmetic (one month after
    2020-01-31 is 2020-02-29). Each part is an int (negative allowed);
    anything else raises ``TypeError``, as in Daft.

    >>> import datetime, ketch
    >>> df = ketch.from_pydict({"d": [datetime.date(2020, 1, 31)]})
    >>> df.select((ketch.col("d") + ketch.interval(months=1)).alias("next")).to_pydict()
    {'next': [datetime.date(2020, 2, 29)]}
    """
    parts = {
        "years": years,
        "months": months,
        "days": days,
        "hours": hours,
        "minutes": minutes,
        "seconds": seconds,
        "millis": millis,
        "nanos": nanos,
    }
    for name, value in parts.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"interval() {name}: '{type(value).__name__}' object cannot be interpreted as an integer")
    n = {k: v or 0 for k, v in parts.items()}
    total_months = n["years"] * 12 + n["months"]
    seconds_total = n["hours"] * 3600 + n["minutes"] * 60 + n["seconds"]
    total_nanos = seconds_total * 1_000_000_000 + n["millis"] * 1_000_000 + n["nanos"]
    value = pa.scalar(pa.MonthDayNano([total_months, n["days"], total_nanos]), type=pa.month_day_nano_interval())
    return lit(value)


def element() -> Expression:
    """The list element inside ``list_map`` / ``list_filter`` (Daft's ``daft.element()``)."""
    return Expression(PyExpr.element())


def col(name: str) -> Expression:
    """A reference to the column ``name``."""
    if not isinstance(name, str):
        raise APITypeError(f"col() expects a column name (str), got {type(name).__name__}")
    return Expression(PyExpr.col(name))


def _to_expr(value: Any) -> Expression:
    return value if isinstance(value, Expression) else lit(value)


class Expression:
    """A column expression. Build one with :func:`col` and :func:`lit`."""

    __slots__ = ("_expr",)

    def __init__(self, native: PyExpr) -> None:
        self._expr = native

    def __copy__(self) -> Expression:
        return Expression(self._expr)

    def __deepcopy__(self, memo: dict) -> Expression:
        """A copy (``copy.deepcopy``): expressions are immutable, so it shares the native tree.

        >>> import copy
        >>> repr(copy.deepcopy(col("a") + 1))
        'col(a) + lit(1)'
        """
        return Expression(self._expr)

    # --- helpers ------------------------------------------------------
    def _bin(self, op: str, other: Any) -> Expression:
        return Expression(self._expr.binary(op, _to_expr(other)._expr))

    def _rbin(self, op: str, other: Any) -> Expression:
        return Expression(_to_expr(other)._expr.binary(op, self._expr))

    def _call(self, name: str, *args: Any) -> Expression:
        return Expression(PyExpr.call(name, [self._expr, *(_to_expr(a)._expr for a in args)]))

    def apply(self, func: Any, return_dtype: Any) -> Expression:
        """``func`` called on every value of this expression (``None`` for nulls),
        its results of type ``return_dtype`` (a legacy row-wise UDF, as in Daft)."""
        return _apply_udf(self, func, return_dtype)

    def _agg(self, name: str, distinct: bool = False) -> Expression:
        return Expression(PyExpr.agg(name, [self._expr], distinct))

    # --- arithmetic and comparison ------------------------------------
    def __add__(self, o: Any) -> Expression:
        return self._bin("add", o)

    def __radd__(self, o: Any) -> Expression:
        return self._rbin("add", o)

    def __sub__(self, o: Any) -> Expression:
        return self._bin("sub", o)

    def __rsub__(self, o: Any) -> Expression:
        return self._rbin("sub", o)

    def __mul__(self, o: Any) -> Expression:
        return self._bin("mul", o)

    def __rmul__(self, o: Any) -> Expression:
        return self._rbin("mul", o)

    def __truediv__(self, o: Any) -> Expression:
        return self._bin("truediv", o)

    def __rtruediv__(self, o: Any) -> Expression:
        return self._rbin("truediv", o)

    def __floordiv__(self, o: Any) -> Expression:
        return self._bin("floordiv", o)

    def __rfloordiv__(self, o: Any) -> Expression:
        return self._rbin("floordiv", o)

    def __mod__(self, o: Any) -> Expression:
        return self._bin("mod", o)

    def __rmod__(self, o: Any) -> Expression:
        return self._rbin("mod", o)

    def __pow__(self, o: Any) -> Expression:
        return self._bin("pow", o)

    def __rpow__(self, o: Any) -> Expression:
        return self._rbin("pow", o)

    def __eq__(self, o: Any) -> Expression:  # type: ignore[override]
        return self._bin("eq", o)

    def __ne__(self, o: Any) -> Expression:  # type: ignore[override]
        return self._bin("ne", o)

    def __lt__(self, o: Any) -> Expression:
        return self._bin("lt", o)

    def __le__(self, o: Any) -> Expression:
        return self._bin("le", o)

    def __gt__(self, o: Any) -> Expression:
        return self._bin("gt", o)

    def __ge__(self, o: Any) -> Expression:
        return self._bin("ge", o)

    def __and__(self, o: Any) -> Expression:
        return self._bin("and", o)

    def __rand__(self, o: Any) -> Expression:
        return self._rbin("and", o)

    def __or__(self, o: Any) -> Expression:
        return self._bin("or", o)

    def __ror__(self, o: Any) -> Expression:
        return self._rbin("or", o)

    def __xor__(self, o: Any) -> Expression:
        return self._bin("xor", o)

    def __rxor__(self, o: Any) -> Expression:
        return self._rbin("xor", o)

    def __lshift__(self, o: Any) -> Expression:
        return self._bin("lshift", o)

    def __rshift__(self, o: Any) -> Expression:
        return self._bin("rshift", o)

    def __invert__(self) -> Expression:
        return Expression(self._expr.not_())

    def __neg__(self) -> Expression:
        return Expression(self._expr.negate())

    def __abs__(self) -> Expression:
        return self.abs()

    def __bool__(self) -> bool:
        return self._expr.__bool__()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._expr)

    def __getitem__(self, key: Any) -> Expression:
        """``expr["field"]`` (a struct field), ``expr["*"]`` (every field, as ``unnest``),
        ``expr[i]`` (a list element, 0-based) or ``expr[key]`` (a map value)."""
        if key == "*":
            return self._call("unnest")
        if isinstance(key, slice):
            if key.step not in (None, 1):
                raise ValueError("Expression slicing supports step 1 only")
            return self._call("slice", 0 if key.start is None else key.start, key.stop)
        return self._call("get", key, None)

    # --- naming and types ---------------------------------------------
    def alias(self, name: str) -> Expression:
        """This expression under the output name ``name``."""
        if not isinstance(name, str):
            raise TypeError(f"alias() expects a str, got {type(name).__name__}")
        return Expression(self._expr.alias(name))

    def name(self) -> str:
        """The output column name (Daft's rule: the leftmost input column)."""
        return self._expr.name()

    def column_name(self) -> str | None:
        return self._expr.column_name()

    def is_column(self) -> bool:
        """True when this is a plain column reference."""
        return self._expr.column_name() is not None

    def is_literal(self) -> bool:
        """True when this is a literal value."""
        return self._expr.literal_value() is not None

    def as_py(self) -> Any:
        """The Python value of a literal expression; ValueError when this is not a literal."""
        value = self._expr.literal_value()
        if value is None:
            raise ValueError(f"as_py() needs a literal expression, got {self!r}")
        return value.to_pylist()[0]

    def cast(self, dtype: DataType | str | type) -> Expression:
        """Casts to ``dtype`` (a DataType, a SQL type name such as ``"int"``
        read as :meth:`DataType.from_sql` reads it, or a Python type); as in
        Daft, a value that does not convert becomes null.

        Null on failure covers a string that does not parse as the target
        (number, bool, date, time, timestamp, decimal), a number out of the
        target's range (NaN or infinity to an integer included), a decimal
        that overflows its precision and bytes that are not UTF-8, also inside
        lists and structs. As in Daft, a value of the wrong size for a fixed
        size target (``fixed_size_binary`` of another length, a list of
        another length to ``fixed_size_list``) is an error at run time, and a
        cast between types that do not convert (a struct to a string, a date
        to a time) is an error before any row is read. Unlike Daft, a cast to a
        fixed size target also raises on an element that does not convert, a
        date or timestamp too far out for a finer unit becomes null (Daft
        wraps it around) and a list casts to a string (Daft raises).

        Casts to multimodal types (``Image``, ``Tensor``, ``Embedding``) follow
        Daft's rules (``ketch_cast`` in the engine); unlike Daft, a cast between
        image modes converts the pixels rather than relabelling them."""
        dtype = _as_dtype(dtype, sql_names=True)
        return self._cast(dtype, dtype._logical is None and _has_fixed_size(dtype.to_arrow_dtype()))

    def try_cast(self, dtype: DataType | str | type) -> Expression:
        """Casts to ``dtype`` (as :meth:`cast` takes it); a value that does not convert becomes null."""
        return self._cast(_as_dtype(dtype, sql_names=True), False)

    def _cast(self, dtype: DataType, strict: bool) -> Expression:
        if dtype.is_extension():
            # The storage cast, labelled with the extension's field metadata.
            name, meta = dtype._logical["Extension"]
            storage = self._cast(DataType(dtype._arrow), strict)._expr
            md = {k.decode(): v.decode() for k, v in _lg.extension_metadata(name, meta).items()}
            return Expression(storage.with_field_metadata(md))
        if dtype._logical is not None:
            target = lit(json.dumps(dtype._logical))._expr
            return Expression(PyExpr.call("ketch_cast", [self._expr, target]))
        return Expression(self._expr.cast(dtype.to_arrow_dtype(), strict))

    # --- null handling and predicates ---------------------------------
    def is_null(self) -> Expression:
        return Expression(self._expr.is_null())

    def not_null(self) -> Expression:
        return Expression(self._expr.not_null())

    def is_in(self, other: Any) -> Expression:
        """True where the value is one of ``other`` (a list or an Expression of literals)."""
        if isinstance(other, Expression):
            items = [other]
        elif isinstance(other, Iterable) and not isinstance(other, (str, bytes)):
            items = [_to_expr(v) for v in other]
        else:
            items = [_to_expr(other)]
        return Expression(self._expr.is_in([i._expr for i in items]))

    def between(self, lower: Any, upper: Any) -> Expression:
        """``lower <= self <= upper`` (inclusive on both ends)."""
        return Expression(self._expr.between(_to_expr(lower)._expr, _to_expr(upper)._expr))

    def if_else(self, if_true: Any, if_false: Any) -> Expression:
        """``if_true`` where this Boolean expression is true, else ``if_false``."""
        return Expression(PyExpr.case([(self._expr, _to_expr(if_true)._expr)], _to_expr(if_false)._expr))

    # --- windows ------------------------------------------------------
    def over(self, window: Any) -> Expression:
        """This aggregation or window function (``row_number()``, ``lag``, ...)
        evaluated over ``window`` (a :class:`ketch.Window`), one value per row."""
        return _over_window(self, window)

    # --- aggregations -------------------------------------------------
    def sum(self) -> Expression:
        return self._agg("sum")

    def mean(self) -> Expression:
        return self._agg("mean")

    def avg(self) -> Expression:
        return self._agg("mean")

    def min(self) -> Expression:
        return self._agg("min")

    def max(self) -> Expression:
        return self._agg("max")

    def count(self, mode: str = "valid") -> Expression:
        """Counts values as ``UInt64``: ``valid`` non-null ones, ``all`` of them, ``null`` the nulls."""
        mode = str(getattr(mode, "value", mode)).lower()
        name = self.name()
        if mode == "valid":
            e = self._agg("count")
        elif mode == "all":
            e = Expression(PyExpr.agg("count", [lit(1)._expr]))
        elif mode == "null":
            e = Expression(PyExpr.agg("sum", [self.is_null().cast(DataType.uint64())._expr]))
            e = Expression(PyExpr.call("coalesce", [e._expr, lit(0)._expr]))
        else:
            raise ValueError(f"count() mode must be 'valid', 'all' or 'null', got {mode!r}")
        return e.cast(DataType.uint64()).alias(name)

    def count_distinct(self) -> Expression:
        return self._agg("count", distinct=True).cast(DataType.uint64()).alias(self.name())

    def any_value(self, ignore_nulls: bool = False) -> Expression:
        """A value of each group (its first); with ``ignore_nulls``, a non-null one where the group has one.

        >>> import ketch
        >>> df = ketch.from_pydict({"k": [1, 1], "v": [None, 5]})
        >>> df.groupby("k").agg(ketch.col("v").any_value(ignore_nulls=True)).to_pydict()
        {'k': [1], 'v': [5]}
        """
        return Expression(PyExpr.agg("any_value", [self._expr], False, bool(ignore_nulls)))

    def list_agg(self) -> Expression:
        return self._agg("list_agg")

    agg_list = list_agg

    def stddev(self, ddof: int = 1) -> Expression:
        if ddof not in (0, 1):
            raise ValueError(f"stddev() supports ddof 0 or 1, got {ddof!r}")
        return self._agg("stddev" if ddof == 1 else "stddev_pop")

    def var(self, ddof: int = 1) -> Expression:
        if ddof not in (0, 1):
            raise ValueError(f"var() supports ddof 0 or 1, got {ddof!r}")
        return self._agg("var_samp" if ddof == 1 else "var_pop")


def _when_expr(branches: list[tuple[Expression, Expression]], otherwise: Any | None) -> Expression:
    other = None if otherwise is None else _to_expr(otherwise)._expr
    return Expression(PyExpr.case([(c._expr, v._expr) for c, v in branches], other))


class WhenExpr(Expression):
    """The result of :func:`ketch.functions.when`; chain ``.when(...)`` and end with ``.otherwise(...)``."""

    __slots__ = ("_branches",)

    def __init__(self, branches: list[tuple[Expression, Expression]]) -> None:
        self._branches = branches
        super().__init__(_when_expr(branches, None)._expr)

    def when(self, condition: Expression, then: Any) -> WhenExpr:
        return WhenExpr([*self._branches, (condition, _to_expr(then))])

    def otherwise(self, value: Any) -> Expression:
        return _when_expr(self._branches, value)


class UdfExpression(Expression):
    """A batch UDF's call, which can also run once per group (``map_groups``):
    ``group_call(arrays) -> pa.Array`` (any length) over ``group_args``."""

    __slots__ = ("_group_call", "_group_args")

    def __init__(self, native: PyExpr, group_call: Any, group_args: list[Expression]) -> None:
        super().__init__(native)
        self._group_call = group_call
        self._group_args = group_args

    def alias(self, name: str) -> Expression:
        return UdfExpression(super().alias(name)._expr, self._group_call, self._group_args)


def _expr_or_col(value: Expression | str) -> Expression:
    if isinstance(value, str):
        return col(value)
    if isinstance(value, Expression):
        return value
    raise APITypeError(f"expected an Expression or a column name (str), got {type(value).__name__}")


# --- registry functions ----------------------------------------------------

# name -> kind ("scalar", "aggregate", "window") of every function of the native registry.
_REGISTRY: dict[str, str] = dict(function_names())


def _arg(value: Any) -> Expression:
    """A function argument as an Expression: Expressions as they are, enums by
    value, Python values (``None`` included) as literals."""
    if isinstance(value, Expression):
        return value
    if hasattr(value, "value") and type(value).__module__.startswith(("daft", "ketch")):
        value = value.value
    return lit(value)


def _call(name: str, *args: Any) -> Expression:
    """The registry function ``name`` applied to ``args``."""
    kind = _REGISTRY.get(name)
    native = [_arg(a)._expr for a in args]
    if kind == "aggregate":
        return Expression(PyExpr.agg(name, native, False))
    if kind == "window":
        return Expression(PyExpr.window(name, native))
    return Expression(PyExpr.call(name, native))
