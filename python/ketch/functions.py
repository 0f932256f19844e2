"""``ketch.functions``: every Daft 0.7.26 expression function as a free function.

The names, parameters and defaults are Daft's (``_SIGNATURES`` below, one
entry per name of ``daft.functions`` outside the multimodal groups). A name
the native registry (``ketch._native.function_names()``) defines is generated
here from its signature: the arguments become expressions (Python values as
literals) and the call resolves by name in the registry, the same function SQL
calls. Functions that need Python-side argument handling are written out
below and win over the generated form. ``Expression`` methods of the same
names forward to these functions (see ``ketch.expressions``).
"""

from __future__ import annotations

from typing import Any

from ketch._native import PyExpr
from ketch.datatype import DataType, _as_dtype
from ketch.expressions import _REGISTRY, Expression, WhenExpr, _call, _to_expr, col, lit
from ketch.window import Window

# name: (daft.functions group, Python parameters, is also an Expression method)
_SIGNATURES: dict[str, tuple[str, str, bool]] = {
    "abs": ("numeric", "expr", True),
    "add_months": ("datetime", "expr, months", False),
    "any_value": ("agg", "expr, ignore_nulls=False", True),
    "approx_count_distinct": ("agg", "expr", True),
    "approx_percentiles": ("agg", "expr, percentiles", True),
    "arccos": ("numeric", "expr", True),
    "arccosh": ("numeric", "expr", True),
    "arcsin": ("numeric", "expr", True),
    "arcsinh": ("numeric", "expr", True),
    "arctan": ("numeric", "expr", True),
    "arctan2": ("numeric", "y, x", True),
    "arctanh": ("numeric", "expr", True),
    "ascii_func": ("str", "expr", False),
    "avg": ("agg", "expr", True),
    "between": ("numeric", "expr, lower, upper", True),
    "bin": ("numeric", "expr", False),
    "bitwise_and": ("bitwise", "left, right", True),
    "bitwise_or": ("bitwise", "left, right", True),
    "bitwise_xor": ("bitwise", "left, right", True),
    "bool_and": ("agg", "expr", True),
    "bool_or": ("agg", "expr", True),
    "capitalize": ("str", "expr", True),
    "cast": ("misc", "expr, dtype", True),
    "cbrt": ("numeric", "expr", True),
    "ceil": ("numeric", "expr", True),
    "chr_func": ("str", "expr", False),
    "chunk": ("list", "list_expr, size", True),
    "clip": ("numeric", "expr, min=None, max=None", True),
    "coalesce": ("misc", "*args", True),
    "columns_avg": ("columnar", "*exprs", False),
    "columns_max": ("columnar", "*exprs", False),
    "columns_mean": ("columnar", "*exprs", False),
    "columns_min": ("columnar", "*exprs", False),
    "columns_sum": ("columnar", "*exprs", False),
    "compress": ("binary", "expr, codec", True),
    "concat": ("misc", "left, right", True),
    "concat_ws": ("str", "sep, *exprs", False),
    "contains": ("str", "expr, substr", True),
    "conv": ("numeric", "expr, from_base, to_base", False),
    "convert_time_zone": ("datetime", "expr, to_timezone, from_timezone=None", True),
    "convert_timezone": ("datetime", "target_timezone, source_timestamp", False),
    "cos": ("numeric", "expr", True),
    "cosh": ("numeric", "expr", True),
    "cot": ("numeric", "expr", True),
    "count": ("agg", 'expr=None, mode="valid"', True),
    "count_distinct": ("agg", "expr", True),
    "count_matches": ("str", "expr, patterns, *, whole_words=False, case_sensitive=True", True),
    "csc": ("numeric", "expr", True),
    "current_date": ("datetime", "", False),
    "current_timestamp": ("datetime", "", False),
    "current_timezone": ("datetime", "", False),
    "damerau_levenshtein_distance": ("str", "left, right", True),
    "date": ("datetime", "expr", True),
    "date_add": ("datetime", "expr, days", False),
    "date_diff": ("datetime", "end, start", False),
    "date_format": ("datetime", "expr, format=None", False),
    "date_from_unix_date": ("datetime", "expr", False),
    "date_sub": ("datetime", "expr, days", False),
    "date_trunc": ("datetime", "interval, expr, relative_to=None", True),
    "dateadd": ("datetime", "expr, days", False),
    "datediff": ("datetime", "end, start", False),
    "datepart": ("datetime", "part, expr", False),
    "day": ("datetime", "expr", True),
    "day_of_month": ("datetime", "expr", True),
    "day_of_week": ("datetime", "expr", True),
    "day_of_year": ("datetime", "expr", True),
    "dayofmonth": ("datetime", "expr", False),
    "dayofyear": ("datetime", "expr", False),
    "decode": ("binary", "bytes, charset", True),
    "decompress": ("binary", "bytes, codec", True),
    "degrees": ("numeric", "expr", True),
    "dense_rank": ("window", "", False),
    "deserialize": ("str", "expr, format, dtype", True),
    "e": ("numeric", "", False),
    "encode": ("binary", "expr, charset", True),
    "endswith": ("str", "expr, suffix", True),
    "eq_null_safe": ("misc", "left, right", True),
    "exp": ("numeric", "expr", True),
    "explode": ("list", "list_expr, ignore_empty_and_null=False", True),
    "expm1": ("numeric", "expr", True),
    "extract_day_uuid7": ("partition", "expr", False),
    "extract_hour_uuid7": ("partition", "expr", False),
    "extract_minute_uuid7": ("partition", "expr", False),
    "extract_month_uuid7": ("partition", "expr", False),
    "factorial": ("numeric", "expr", False),
    "fill_nan": ("numeric", "expr, fill_value", True),
    "fill_null": ("misc", "expr, fill_value", True),
    "find": ("str", "expr, substr", True),
    "first_value": ("window", "expr, ignore_nulls=False", True),
    "floor": ("numeric", "expr", True),
    "format": ("str", "f_string, *args", False),
    "from_unixtime": ("datetime", "expr, format=None", False),
    "from_utc_timestamp": ("datetime", "expr, timezone", False),
    "get": ("misc", "expr, key, default=None", True),
    "great_circle_distance": ("spatial", "lat1, lon1, lat2, lon2", False),
    "hamming_distance_str": ("str", "left, right", True),
    "hash": ("misc", "*exprs, seed=None, hash_function='xxhash'", True),
    "hour": ("datetime", "expr", True),
    "hypot": ("numeric", "a, b", False),
    "ilike": ("str", "expr, pattern", True),
    "is_in": ("misc", "expr, other", True),
    "is_inf": ("numeric", "expr", True),
    "is_nan": ("numeric", "expr", True),
    "is_null": ("misc", "expr", True),
    "jaro_similarity": ("str", "left, right", True),
    "jaro_winkler_similarity": ("str", "left, right", True),
    "jq": ("str", "expr, filter", True),
    "json_array_length": ("str", "expr", False),
    "json_object_keys": ("str", "expr", False),
    "json_tuple": ("str", "expr, *fields", False),
    "lag": ("window", "expr, offset=1, default=None", True),
    "last_day": ("datetime", "expr", False),
    "last_value": ("window", "expr, ignore_nulls=False", True),
    "lead": ("window", "expr, offset=1, default=None", True),
    "left": ("str", "expr, nchars", True),
    "length": ("misc", "expr", True),
    "length_bytes": ("str", "expr", True),
    "levenshtein_distance": ("str", "left, right", True),
    "like": ("str", "expr, pattern", True),
    "list_agg": ("agg", "expr", True),
    "list_agg_distinct": ("agg", "expr", True),
    "list_append": ("list", "list_expr, other", True),
    "list_bool_and": ("list", "list_expr", True),
    "list_bool_or": ("list", "list_expr", True),
    "list_contains": ("list", "list_expr, item", True),
    "list_count": ("list", 'list_expr, mode="valid"', True),
    "list_distinct": ("list", "list_expr", True),
    "list_filter": ("list", "list_expr, predicate", True),
    "list_flatten": ("list", "list_expr", True),
    "list_join": ("list", "list_expr, delimiter", True),
    "list_map": ("list", "list_expr, mapper", True),
    "list_max": ("list", "list_expr", True),
    "list_mean": ("list", "list_expr", True),
    "list_min": ("list", "list_expr", True),
    "list_sort": ("list", "list_expr, desc=None, nulls_first=None", True),
    "list_sum": ("list", "list_expr", True),
    "ln": ("numeric", "expr", True),
    "log": ("numeric", "expr, base=2.718281828459045", True),
    "log10": ("numeric", "expr", True),
    "log1p": ("numeric", "expr", True),
    "log2": ("numeric", "expr", True),
    "lower": ("str", "expr", True),
    "lpad": ("str", "expr, length, pad", True),
    "lstrip": ("str", "expr", True),
    "make_date": ("datetime", "year, month, day", False),
    "make_timestamp": ("datetime", "year, month, day, hour, minute, second, timezone=None", False),
    "make_timestamp_ltz": ("datetime", "year, month, day, hour, minute, second, timezone=None", False),
    "map_get": ("misc", "expr, key", True),
    "map_keys": ("misc", "expr", True),
    "max": ("agg", "expr", True),
    "mean": ("agg", "expr", True),
    "median": ("agg", "expr", True),
    "microsecond": ("datetime", "expr", True),
    "millisecond": ("datetime", "expr", True),
    "min": ("agg", "expr", True),
    "minhash": ("misc", "text, *, num_hashes, ngram_size, seed=1, hash_function='murmurhash3'", True),
    "minute": ("datetime", "expr", True),
    "monotonically_increasing_id": ("misc", "", False),
    "month": ("datetime", "expr", True),
    "months_between": ("datetime", "end, start", False),
    "nanosecond": ("datetime", "expr", True),
    "negate": ("numeric", "expr", True),
    "next_day": ("datetime", "expr, day_of_week", False),
    "normalize": ("str", "expr, *, remove_punct=False, lowercase=False, nfd_unicode=False, white_space=False", True),
    "not_nan": ("numeric", "expr", True),
    "not_null": ("misc", "expr", True),
    "over": ("window", "expr, window", True),
    "partition_days": ("partition", "expr", True),
    "partition_hours": ("partition", "expr", True),
    "partition_iceberg_bucket": ("partition", "expr, n", True),
    "partition_iceberg_truncate": ("partition", "expr, w", True),
    "partition_months": ("partition", "expr", True),
    "partition_years": ("partition", "expr", True),
    "percentile": ("agg", "expr, percentage", True),
    "pi": ("numeric", "", False),
    "pmod": ("numeric", "a, b", False),
    "pow": ("numeric", "base, expr", True),
    "power": ("numeric", "base, expr", True),
    "product": ("agg", "expr", True),
    "quarter": ("datetime", "expr", True),
    "radians": ("numeric", "expr", True),
    "random_int": ("misc", "low, high, seed=None", False),
    "rank": ("window", "", False),
    "regexp": ("str", "expr, pattern", True),
    "regexp_count": ("str", "expr, pattern", True),
    "regexp_extract": ("str", "expr, pattern, index=0", True),
    "regexp_extract_all": ("str", "expr, pattern, index=0", True),
    "regexp_replace": ("str", "expr, pattern, replacement", True),
    "regexp_split": ("str", "expr, pattern", True),
    "repeat": ("str", "expr, n", True),
    "replace": ("str", "expr, search, replacement", True),
    "replace_time_zone": ("datetime", "expr, timezone=None", True),
    "reverse": ("str", "expr", True),
    "right": ("str", "expr, nchars", True),
    "round": ("numeric", "expr, decimals=0", True),
    "row_number": ("window", "", False),
    "rpad": ("str", "expr, length, pad", True),
    "rstrip": ("str", "expr", True),
    "sec": ("numeric", "expr", True),
    "second": ("datetime", "expr", True),
    "seq": ("list", "n", False),
    "serialize": ("str", "expr, format", True),
    "shift_left": ("bitwise", "expr, num_bits", True),
    "shift_right": ("bitwise", "expr, num_bits", True),
    "sign": ("numeric", "expr", True),
    "simhash": ("misc", "text, *, ngram_size=3, hash_function='xxhash3_64'", True),
    "sin": ("numeric", "expr", True),
    "sinh": ("numeric", "expr", True),
    "skew": ("agg", "expr", True),
    "slice": ("misc", "expr, start, end=None", True),
    "soundex": ("str", "expr", True),
    "space": ("str", "expr", False),
    "split": ("str", "expr, split_on", True),
    "split_part": ("str", "expr, delim, part", True),
    "sqrt": ("numeric", "expr", True),
    "startswith": ("str", "expr, prefix", True),
    "stddev": ("agg", "expr, ddof=1", True),
    "strftime": ("datetime", "expr, format=None", True),
    "string_agg": ("agg", "expr, delimiter=None", True),
    "strip": ("str", "expr", True),
    "substr": ("str", "expr, start, length=None", True),
    "substring_index": ("str", "expr, delim, count", True),
    "sum": ("agg", "expr", True),
    "tan": ("numeric", "expr", True),
    "tanh": ("numeric", "expr", True),
    "time": ("datetime", "expr", True),
    "timestamp_micros": ("datetime", "expr", False),
    "timestamp_millis": ("datetime", "expr", False),
    "timestamp_seconds": ("datetime", "expr", False),
    "to_camel_case": ("str", "expr", True),
    "to_date": ("datetime", "expr, format", True),
    "to_datetime": ("datetime", "expr, format, timezone=None", True),
    "to_kebab_case": ("str", "expr", True),
    "to_list": ("list", "*items", False),
    "to_snake_case": ("str", "expr", True),
    "to_struct": ("struct", "*fields, **named_fields", False),
    "to_title_case": ("str", "expr", True),
    "to_unix_epoch": ("datetime", "expr, time_unit=None", True),
    "to_upper_camel_case": ("str", "expr", True),
    "to_upper_kebab_case": ("str", "expr", True),
    "to_upper_snake_case": ("str", "expr", True),
    "to_utc_timestamp": ("datetime", "expr, timezone", False),
    "tokenize_decode": ("str", "expr, tokens_path, *, io_config=None, pattern=None, special_tokens=None", True),
    "tokenize_encode": (
        "str",
        "expr, tokens_path, *, io_config=None, pattern=None, special_tokens=None, use_special_tokens=None",
        True,
    ),
    "total_days": ("datetime", "expr", True),
    "total_hours": ("datetime", "expr", True),
    "total_microseconds": ("datetime", "expr", True),
    "total_milliseconds": ("datetime", "expr", True),
    "total_minutes": ("datetime", "expr", True),
    "total_nanoseconds": ("datetime", "expr", True),
    "total_seconds": ("datetime", "expr", True),
    "translate": ("str", "expr, from_str, to_str", True),
    "trunc": ("datetime", "expr, interval, relative_to=None", False),
    "try_cast": ("misc", "expr, dtype", True),
    "try_compress": ("binary", "expr, codec", True),
    "try_decode": ("binary", "bytes, charset", True),
    "try_decompress": ("binary", "expr, codec", True),
    "try_deserialize": ("str", "expr, format, dtype", True),
    "try_divide": ("numeric", "dividend, divisor", False),
    "try_encode": ("binary", "expr, charset", True),
    "unix_date": ("datetime", "expr", True),
    "unnest": ("struct", "expr", True),
    "upper": ("str", "expr", True),
    "uuid": ("misc", "version='v4'", False),
    "value_counts": ("list", "list_expr", True),
    "var": ("agg", "expr, ddof=1", True),
    "week_of_year": ("datetime", "expr", True),
    "weekofyear": ("datetime", "expr", False),
    "when": ("misc", "condition, then", False),
    "year": ("datetime", "expr", True),
}


def _generate(name: str, params: str, doc: str) -> Any:
    names = []
    for p in params.split(","):
        p = p.strip().split("=")[0]
        if p and p != "*":
            names.append(p)
    call_args = ", ".join(f"*{n[1:]}" if n.startswith("*") and not n.startswith("**") else n for n in names)
    scope: dict[str, Any] = {"_call": _call}
    code = f"def {name}({params}):\n    return _call({name!r}, {call_args})\n"
    exec(code, scope)  # noqa: S102 - builds a function with Daft's exact signature
    fn = scope[name]
    fn.__doc__ = doc
    fn.__module__ = __name__
    return fn


# --- functions with Python-side argument handling --------------------------


def when(condition: Expression, then: Any) -> WhenExpr:
    """``CASE WHEN condition THEN then ...``; chain ``.when`` and end with ``.otherwise``."""
    return WhenExpr([(_to_expr(condition), _to_expr(then))])


def cast(expr: Expression, dtype: Any) -> Expression:
    """``expr`` cast to ``dtype``, null where a value does not convert (see :meth:`Expression.cast`)."""
    return expr.cast(dtype)


def try_cast(expr: Expression, dtype: Any) -> Expression:
    """``expr`` cast to ``dtype``, null where a value does not convert."""
    return expr.try_cast(dtype)


def is_in(expr: Expression, other: Any) -> Expression:
    return expr.is_in(other)


def between(expr: Expression, lower: Any, upper: Any) -> Expression:
    return expr.between(lower, upper)


def round(expr: Expression, decimals: int = 0) -> Expression:  # noqa: A001 - Daft's name
    """``expr`` rounded to ``decimals`` places (integers become Float64, as in Daft)."""
    if isinstance(decimals, int) and decimals < 0:
        raise ValueError(f"round() decimals must be a non-negative int, got {decimals!r}")
    return _call("round", expr, decimals)


def _column_args(exprs: tuple[Any, ...]) -> list[Expression]:
    return [col(e) if isinstance(e, str) else e for e in exprs]


def columns_sum(*exprs: Expression | str) -> Expression:
    return _call("columns_sum", *_column_args(exprs))


def columns_mean(*exprs: Expression | str) -> Expression:
    return _call("columns_mean", *_column_args(exprs))


def columns_avg(*exprs: Expression | str) -> Expression:
    return _call("columns_avg", *_column_args(exprs))


def columns_min(*exprs: Expression | str) -> Expression:
    return _call("columns_min", *_column_args(exprs))


def columns_max(*exprs: Expression | str) -> Expression:
    return _call("columns_max", *_column_args(exprs))


def to_struct(*fields: Expression, **named_fields: Expression) -> Expression:
    """A struct of ``fields`` (named after their output names) and ``named_fields``."""
    pairs: list[Any] = []
    for f in fields:
        f = col(f) if isinstance(f, str) else f
        pairs += [f.name(), f]
    for n, f in named_fields.items():
        pairs += [n, _to_expr(f)]
    return _call("to_struct", *pairs)


def format(f_string: str, *args: Expression | str) -> Expression:  # noqa: A001 - Daft's name
    """``f_string`` with each ``{}`` replaced by the next argument (a column name or Expression)."""
    return _call("format", f_string, *_column_args(args))


def concat_ws(sep: str, *exprs: Expression) -> Expression:
    return _call("concat_ws", sep, *_column_args(exprs))


def count(expr: Expression | None = None, mode: Any = "valid") -> Expression:
    if expr is None:
        return lit(1).count("all").alias("count")
    return expr.count(mode)


def count_distinct(expr: Expression) -> Expression:
    return expr.count_distinct()


def stddev(expr: Expression, ddof: int = 1) -> Expression:
    return expr.stddev(ddof)


def var(expr: Expression, ddof: int = 1) -> Expression:
    return expr.var(ddof)


def any_value(expr: Expression, ignore_nulls: bool = False) -> Expression:
    return expr.any_value(ignore_nulls)


def list_agg_distinct(expr: Expression) -> Expression:
    """The distinct non-null values of each group as a list (empty when there are none)."""
    values = Expression(PyExpr.agg("list_agg", [expr._expr], True, True))
    return _call("coalesce", values, lit([])).alias(expr.name())


def string_agg(expr: Expression, delimiter: str | None = None) -> Expression:
    """The group's non-null strings joined with ``delimiter`` (none by default)."""
    return _call("string_agg", expr, "" if delimiter is None else delimiter).alias(expr.name())


def approx_percentiles(expr: Expression, percentiles: float | list[float]) -> Expression:
    """Approximate percentiles (t-digest): one Float64 for a float, a list for a list of floats."""
    many = isinstance(percentiles, (list, tuple))
    ps = list(percentiles) if many else [percentiles]
    for p in ps:
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
            raise ValueError(f"approx_percentiles() percentiles must be floats in [0, 1], got {p!r}")
    x = expr.cast(DataType.float64())
    parts = [_call("approx_percentiles", x, float(p)) for p in ps]
    if not many:
        return parts[0].alias(expr.name())
    values = _call("to_list", *parts).cast(DataType.fixed_size_list(DataType.float64(), len(ps)))
    return when(x.count() == 0, None).otherwise(values).alias(expr.name())


def percentile(expr: Expression, percentage: float) -> Expression:
    """The exact ``percentage`` percentile (linear interpolation) of the group, as Float64."""
    if not isinstance(percentage, (int, float)) or not 0 <= percentage <= 1:
        raise ValueError(f"percentile() percentage must be a float in [0, 1], got {percentage!r}")
    return _call("percentile", expr.cast(DataType.float64()), float(percentage)).alias(expr.name())


def median(expr: Expression) -> Expression:
    """The median of the group's non-null values, as Float64."""
    return _call("median", expr.cast(DataType.float64())).alias(expr.name())


def _typed_null(dtype: Any) -> Expression:
    return lit(None).cast(_as_dtype(dtype))


def deserialize(expr: Expression, format: str, dtype: Any) -> Expression:  # noqa: A002 - Daft's name
    """Parses each string (``format="json"``) as a value of ``dtype``; a malformed one is an error."""
    return _call("deserialize", expr, format, _typed_null(dtype))


def try_deserialize(expr: Expression, format: str, dtype: Any) -> Expression:  # noqa: A002 - Daft's name
    """Like :func:`deserialize`, with null where a string does not parse."""
    return _call("try_deserialize", expr, format, _typed_null(dtype))


def list_map(list_expr: Expression, mapper: Expression) -> Expression:
    """``mapper`` (an expression of :func:`ketch.element`) applied to every element of each list."""
    return Expression(list_expr._expr.higher_order("array_transform", _to_expr(mapper)._expr)).alias(list_expr.name())


def list_filter(list_expr: Expression, predicate: Expression) -> Expression:
    """The elements of each list for which ``predicate`` (an expression of :func:`ketch.element`) is true."""
    return Expression(list_expr._expr.higher_order("array_filter", _to_expr(predicate)._expr)).alias(list_expr.name())


def monotonically_increasing_id() -> Expression:
    """A unique, increasing UInt64 per row (0, 1, 2, ... in row order for one partition)."""
    return (_call("row_number").over(Window()) - 1).cast(DataType.uint64()).alias("id")


def over(expr: Expression, window: Any) -> Expression:
    """``expr`` evaluated over ``window`` (see :meth:`Expression.over`)."""
    return expr.over(window)


def lag(expr: Expression, offset: int = 1, default: Any = None) -> Expression:
    """The value ``offset`` rows before the current row in the window's order (``default`` when none)."""
    args = [expr, offset] if default is None else [expr, offset, default]
    return _call("lag", *args)


def lead(expr: Expression, offset: int = 1, default: Any = None) -> Expression:
    """The value ``offset`` rows after the current row in the window's order (``default`` when none)."""
    args = [expr, offset] if default is None else [expr, offset, default]
    return _call("lead", *args)


def _nth(name: str, expr: Expression, ignore_nulls: bool) -> Expression:
    e = _call(name, expr)
    return Expression(e._expr.ignore_nulls()) if ignore_nulls else e


def first_value(expr: Expression, ignore_nulls: bool = False) -> Expression:
    """The first value of the window frame (the first non-null one with ``ignore_nulls``)."""
    return _nth("first_value", expr, ignore_nulls)


def last_value(expr: Expression, ignore_nulls: bool = False) -> Expression:
    """The last value of the window frame (the last non-null one with ``ignore_nulls``)."""
    return _nth("last_value", expr, ignore_nulls)


def percent_rank() -> Expression:
    """ketch extra (SQL's): ``(rank - 1) / (rows in partition - 1)`` as Float64."""
    return _call("percent_rank")


def cume_dist() -> Expression:
    """ketch extra (SQL's): the fraction of partition rows at or before the current row's peers."""
    return _call("cume_dist")


def ntile(n: int) -> Expression:
    """ketch extra (SQL's): the bucket 1..n of the current row when the partition is cut into n."""
    return _call("ntile", n)


def nth_value(expr: Expression, n: int) -> Expression:
    """ketch extra (SQL's): the ``n``-th (1-based) value of the window frame."""
    return _call("nth_value", expr, n)


_HANDWRITTEN = {n for n, v in list(globals().items()) if callable(v) and getattr(v, "__module__", None) == __name__}

for _name, (_group, _params, _is_method) in _SIGNATURES.items():
    if _name in _HANDWRITTEN or _name not in _REGISTRY:
        continue
    globals()[_name] = _generate(_name, _params, f"Daft's ``daft.functions.{_name}`` ({_group}); see the Daft docs.")


# Where Daft's Expression method names a parameter differently from its
# daft.functions function (``col("a").pow(exp=2)`` is ``pow(col("a"), expr=2)``).
_METHOD_KEYWORDS = {
    **{
        n: {"other": "right"}
        for n in (
            "bitwise_and bitwise_or bitwise_xor concat cosine_distance cosine_similarity damerau_levenshtein_distance "
            "dot_product eq_null_safe euclidean_distance hamming_distance hamming_distance_str jaccard_similarity "
            "jaro_similarity jaro_winkler_similarity levenshtein_distance pearson_correlation"
        ).split()
    },
    "arctan2": {"other": "x"},
    "get": {"index": "key"},
    "pow": {"exp": "expr"},
    "power": {"exp": "expr"},
    "shift_left": {"other": "num_bits"},
    "shift_right": {"other": "num_bits"},
}


def _method(name: str, fn: Any) -> Any:
    if name == "date_trunc":

        def method(self: Expression, interval: str, relative_to: Expression | None = None) -> Expression:
            return fn(interval, self, relative_to)

    else:
        renames = _METHOD_KEYWORDS.get(name, {})

        def method(self: Expression, *args: Any, **kwargs: Any) -> Expression:
            for method_name, function_name in renames.items():
                if method_name in kwargs:
                    kwargs[function_name] = kwargs.pop(method_name)
            return fn(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = fn.__doc__
    return method


for _name, (_group, _params, _is_method) in _SIGNATURES.items():
    if _is_method and _name in globals() and _name not in Expression.__dict__:
        setattr(Expression, _name, _method(_name, globals()[_name]))


def _as_dtype_method(ctor: str) -> Any:
    def method(self: Expression, *args: Any, **kwargs: Any) -> Expression:
        return self.cast(getattr(DataType, ctor)(*args, **kwargs))

    method.__name__ = f"as_{ctor}"
    method.__doc__ = f"``self.cast(DataType.{ctor}(*args, **kwargs))`` (Daft's ``as_{ctor}``)."
    return method


# Daft's `expr.as_<dtype>(...)` casts: one per DataType constructor ketch has.
for _ctor in (
    "binary bool date decimal128 duration fixed_size_binary fixed_size_list float16 float32 float64 int8 int16 "
    "int32 int64 interval list map null string struct time timestamp uint8 uint16 uint32 uint64"
).split():
    if hasattr(DataType, _ctor):
        setattr(Expression, f"as_{_ctor}", _as_dtype_method(_ctor))
Expression.ascii = _method("ascii", globals()["ascii_func"])  # type: ignore[attr-defined]

# Multimodal functions (images, vectors, files): handwritten in ketch.multimodal.
from ketch import multimodal as _mm  # noqa: E402

globals().update(_mm.FUNCTIONS)
for _name in _mm.METHODS:
    setattr(Expression, _name, _method(_name, _mm.FUNCTIONS[_name]))
for _ctor in ("image", "tensor", "embedding", "file", "python", "sparse_tensor"):
    setattr(Expression, f"as_{_ctor}", _as_dtype_method(_ctor))

#: Daft names with no ketch implementation yet (reported by tests/test_registry.py).
MISSING = sorted(n for n in _SIGNATURES if n not in globals())

__all__ = sorted(["col", "lit", *(n for n in _SIGNATURES if n in globals()), *_mm.FUNCTIONS])
