"""``Series``: one named column of values, backed by a ``pyarrow.Array``
(Daft 0.7.26's ``daft.Series``, the value batch UDFs receive and return)."""

from __future__ import annotations

import operator
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ketch import functions, logical, logical_values
from ketch.dataframe import _from_table
from ketch.datatype import DataType, _as_dtype
from ketch.expressions import col
from ketch.logical import ImageMode
from ketch.logical_values import _normalize_column, as_extension
from ketch.pyvalues import column_values


class Series:
    """A named column of values of one :class:`DataType`.

    Build one with :meth:`from_pylist`, :meth:`from_arrow`, :meth:`from_numpy`
    or :meth:`from_pandas`; ``Series()`` itself is not a constructor (as in Daft).
    """

    __slots__ = ("_array", "_name")

    def __init__(self) -> None:
        # Daft's own error (class and message) for `Series()`: use the constructors below.
        raise NotImplementedError("We do not support creating a Series via __init__ ")

    @classmethod
    def _make(cls, array: pa.Array, name: str) -> Series:
        s = cls.__new__(cls)
        s._array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        s._name = name
        return s

    # --- constructors ---------------------------------------------------
    @classmethod
    def from_arrow(cls, array: pa.Array | pa.ChunkedArray, name: str = "arrow_series", dtype: Any = None) -> Series:
        """A Series over ``array`` (no copy), cast to ``dtype`` when given."""
        if not isinstance(array, (pa.Array, pa.ChunkedArray)):
            raise TypeError(f"expected a pyarrow Array or ChunkedArray, got {type(array)}")
        s = cls._make(array, name)
        return s.cast(dtype) if dtype is not None else s

    @classmethod
    def from_pylist(cls, data: list, name: str = "list_series", dtype: Any = None, pyobj: str = "allow") -> Series:
        """A Series of Python values; the type is inferred unless ``dtype`` is given."""
        if not isinstance(data, list):
            raise TypeError(f"expected a python list, got {type(data)}")
        if dtype is not None:
            dtype = _as_dtype(dtype)
            return cls._make(_with_field(coerce(data, dtype.to_arrow_dtype()), dtype._field(name)), name)
        # Inferred as `from_pydict` infers a column (tensors, images, Python objects, ...).
        array, field = _normalize_column(name, data)
        return cls._make(_with_field(array, field), name)

    @classmethod
    def from_numpy(cls, data: Any, name: str = "numpy_series", dtype: Any = None) -> Series:
        """A Series of a one-dimensional numpy array."""
        data = np.asarray(data)
        if data.ndim != 1:
            raise ValueError(f"Series.from_numpy expects a 1-dimensional array, got {data.ndim} dimensions")
        return cls.from_arrow(pa.array(data), name, dtype)

    @classmethod
    def from_pandas(cls, data: Any, name: str = "pd_series", dtype: Any = None) -> Series:
        """A Series of a pandas Series."""
        return cls.from_arrow(pa.Array.from_pandas(data), name, dtype)

    # --- accessors --------------------------------------------------------
    def name(self) -> str:
        return self._name

    def rename(self, name: str) -> Series:
        return Series._make(self._array, name)

    def datatype(self) -> DataType:
        return DataType(self._array.type)

    def to_arrow(self) -> pa.Array:
        return self._array

    def to_pylist(self, maps_as_pydicts: str | None = None) -> list:
        """The values as Python objects. Map values are lists of ``(key, value)``
        tuples, or with ``maps_as_pydicts="lossy"`` (last duplicate key wins, with a
        warning) or ``"strict"`` (a duplicate key raises) dicts, as in Daft."""
        if maps_as_pydicts is None:
            return column_values(self._array)
        if maps_as_pydicts not in ("lossy", "strict"):
            raise ValueError(f"maps_as_pydicts must be None, 'lossy' or 'strict', got {maps_as_pydicts!r}")
        if logical.of_type(self._array.type)[1] is not None:
            return column_values(self._array)
        return self._array.to_pylist(maps_as_pydicts=maps_as_pydicts)

    def to_numpy(self) -> Any:
        """The values as a numpy array (nulls become NaN or None, as pyarrow converts them)."""
        return self._array.to_numpy(zero_copy_only=False)

    def to_pandas(self) -> Any:
        return self._array.to_pandas().rename(self._name)

    def cast(self, dtype: Any) -> Series:
        """The values cast to ``dtype`` by the engine, with Daft's cast rules
        (multimodal types included)."""
        dtype = _as_dtype(dtype)
        if dtype.is_python():
            # Daft's cast to Python: each value as the Python object to_pylist gives.
            return Series.from_pylist(self.to_pylist(), self._name, dtype=dtype)
        return self._apply(lambda e: e.cast(dtype))

    def _apply(self, fn: Any) -> Series:
        """The Series of ``fn(col)`` evaluated by the engine over this Series'
        values (``fn``: Expression -> Expression); the name is kept."""
        out = _from_table(pa.table({self._name: self._array})).select(fn(col(self._name)).alias(self._name))._run()
        return Series._make(_with_field(out.column(0).combine_chunks(), out.schema.field(0)), self._name)

    def _apply_with(self, others: dict[str, Series], fn: Any) -> Series:
        """``fn(col, {name: col})`` over this Series and ``others`` (same
        length, or one value that broadcasts) as columns of one table, evaluated
        by the engine. Raises ValueError for other lengths."""
        n = max([len(self), *(len(o) for o in others.values() if isinstance(o, Series))])
        if len(self) not in (n, 1):
            raise ValueError(f"expected Series of length {len(self)} or 1, got one of length {n}")
        columns = {"__self": _broadcast(self._array, n)}
        for key, other in others.items():
            if not isinstance(other, Series):
                raise ValueError(f"expected another Series but got {type(other)}")
            if len(other) != n and len(other) != 1:
                raise ValueError(f"{key}: expected a Series of length {n} or 1, got {len(other)}")
            columns[f"__{key}"] = _broadcast(other._array, n)
        cols = {key: col(f"__{key}") for key in others}
        out = _from_table(pa.table(columns)).select(fn(col("__self"), cols).alias(self._name))._run()
        return Series._make(_with_field(out.column(0).combine_chunks(), out.schema.field(0)), self._name)

    def _aggregate(self, fn: Any) -> Series:
        """A one-value Series: the aggregation ``fn(col)`` over the values."""
        out = _from_table(pa.table({self._name: self._array})).agg(fn(col(self._name)).alias(self._name))._run()
        return Series._make(_with_field(out.column(0).combine_chunks(), out.schema.field(0)), self._name)

    # Aggregations: a Series of one value, as Daft.
    def count(self, mode: Any = "valid") -> Series:
        """The number of values (``mode``: ``valid``, ``null`` or ``all``), as a one-value UInt64 Series."""
        return self._aggregate(lambda e: e.count(mode))

    def sum(self) -> Series:
        return self._aggregate(lambda e: e.sum())

    def mean(self) -> Series:
        return self._aggregate(lambda e: e.mean())

    def min(self) -> Series:
        return self._aggregate(lambda e: e.min())

    def max(self) -> Series:
        return self._aggregate(lambda e: e.max())

    def product(self) -> Series:
        return self._aggregate(lambda e: e.product())

    def stddev(self, ddof: int = 1) -> Series:
        return self._aggregate(lambda e: e.stddev(ddof=ddof))

    # Element-wise with other Series.
    def arctan2(self, other: Series) -> Series:
        return self._apply_with({"other": other}, lambda e, c: e.arctan2(c["other"]))

    def shift_left(self, bits: Series) -> Series:
        return self._apply_with({"bits": bits}, lambda e, c: e.shift_left(c["bits"]))

    def shift_right(self, bits: Series) -> Series:
        return self._apply_with({"bits": bits}, lambda e, c: e.shift_right(c["bits"]))

    def clip(self, min: Series, max: Series) -> Series:
        return self._apply_with({"min": min, "max": max}, lambda e, c: e.clip(c["min"], c["max"]))

    def fill_null(self, fill_value: Series) -> Series:
        """Nulls replaced by ``fill_value``'s values (a Series, as Daft requires)."""
        return self._apply_with({"fill": fill_value}, lambda e, c: e.fill_null(c["fill"]))

    def if_else(self, if_true: Series, if_false: Series) -> Series:
        """``if_true`` where this (Boolean) Series is true, ``if_false`` where it
        is false, and null where it is null (Daft's ``Series.if_else``).

        >>> p = Series.from_pylist([True, False, None])
        >>> p.if_else(Series.from_pylist([1]), Series.from_pylist([2])).to_pylist()
        [1, 2, None]
        """

        # CASE drops field metadata: an extension type both sides share is put back.
        both = isinstance(if_true, Series) and isinstance(if_false, Series)
        dtype = if_true.datatype() if both else None
        keep = both and dtype.is_extension() and if_false.datatype() == dtype

        def pick(e: Any, c: dict) -> Any:
            out = functions.when(e.is_null(), None).when(e, c["t"]).otherwise(c["f"])
            return out.cast(dtype) if keep else out

        return self._apply_with({"t": if_true, "f": if_false}, pick)

    def hash(self, seed: Series | None = None) -> Series:
        if seed is None:
            return self._apply(lambda e: e.hash())
        return self._apply_with({"seed": seed}, lambda e, c: e.hash(seed=c["seed"]))

    # Rows: order, selection, concatenation.
    def argsort(self, descending: bool = False, nulls_first: bool | None = None) -> Series:
        """The row indices (UInt64) that sort the values (nulls last unless
        ``nulls_first``; by default first when ``descending``, as Daft)."""
        nulls_first = descending if nulls_first is None else nulls_first
        order = "descending" if descending else "ascending"
        placement = "at_start" if nulls_first else "at_end"
        idx = pc.array_sort_indices(self._array, order=order, null_placement=placement)
        return Series._make(idx, self._name)

    def sort(self, descending: bool = False, nulls_first: bool | None = None) -> Series:
        """The values in sorted order (see :meth:`argsort`)."""
        return self.take(self.argsort(descending, nulls_first))

    def filter(self, mask: Series) -> Series:
        """The values where ``mask`` (Boolean, of the same length or one value
        that broadcasts) is true."""
        if not isinstance(mask, Series) or not pa.types.is_boolean(mask._array.type):
            raise ValueError(f"filter expects a Boolean Series, got {mask!r}")
        return Series._make(self._array.filter(_broadcast(mask._array, len(self))), self._name)

    def take(self, idx: Series) -> Series:
        """The values at the row indices ``idx`` (an integer Series)."""
        if not isinstance(idx, Series):
            raise ValueError(f"expected another Series but got {type(idx)}")
        return Series._make(self._array.take(idx._array), self._name)

    def slice(self, start: int, end: int) -> Series:
        """Rows ``start`` (inclusive) to ``end`` (exclusive)."""
        if start < 0 or end < 0:
            raise ValueError(f"slice bounds must be non-negative, got {start}, {end}")
        return Series._make(self._array.slice(start, max(end - start, 0)), self._name)

    @staticmethod
    def concat(series: list[Series]) -> Series:
        """The values of each Series in turn (the first one's name)."""
        if not series:
            raise ValueError("Need at least 1 series to perform concat")
        arrays = [s._array for s in series]
        return Series._make(pa.concat_arrays(arrays), series[0]._name)

    def size_bytes(self) -> int:
        """The bytes the values take in Daft's in-memory layout: the Arrow
        buffers, with 64-bit offsets for strings, binary and lists (Daft holds
        them as Arrow's large types), as Daft's ``Series.size_bytes``.

        >>> Series.from_pylist(["ab", None]).size_bytes()  # validity + 3 int64 offsets + 2 bytes
        27
        """
        array = self._array.storage if isinstance(self._array, pa.ExtensionArray) else self._array
        # A slice counts the bytes it references; a whole array its buffers.
        held = array.nbytes if array.offset else sum(buf.size for buf in array.buffers() if buf is not None)
        return held + _offset_widening(array)

    def try_cast(self, dtype: Any) -> Series:
        """The values cast to ``dtype``, null where they do not convert."""
        dtype = _as_dtype(dtype, sql_names=True)
        return self._apply(lambda e: e.try_cast(dtype))

    @property
    def str(self) -> SeriesStringNamespace:
        """String functions (Daft's ``Series.str``)."""
        return SeriesStringNamespace.from_series(self)

    @property
    def dt(self) -> SeriesDateNamespace:
        """Date and time functions (Daft's ``Series.dt``)."""
        return SeriesDateNamespace.from_series(self)

    @property
    def list(self) -> SeriesListNamespace:
        """List functions (Daft's ``Series.list``)."""
        return SeriesListNamespace.from_series(self)

    @property
    def map(self) -> SeriesMapNamespace:
        """Map functions (Daft's ``Series.map``)."""
        return SeriesMapNamespace.from_series(self)

    @property
    def float(self) -> SeriesFloatNamespace:
        """Float functions (``is_nan``, ``is_inf``, ``not_nan``, ``fill_nan``)."""
        return SeriesFloatNamespace.from_series(self)

    @property
    def partitioning(self) -> SeriesPartitioningNamespace:
        """Partition transforms (Daft's ``Series.partitioning``)."""
        return SeriesPartitioningNamespace.from_series(self)

    @property
    def image(self) -> SeriesImageNamespace:
        """Image functions over an image (or binary, for ``decode``) Series."""
        return SeriesImageNamespace.from_series(self)

    def _eval_expressions(self, func_name: str, *args: Any, **kwargs: Any) -> Series:
        """``func_name(self, *args, **kwargs)`` evaluated by the engine, named as
        this Series (Daft's ``Series._eval_expressions``).

        ``func_name`` is a :mod:`ketch.functions` name or Daft's registry name
        for one (``utf8_contains``, ``regexp_match``, ...). Series arguments
        become columns of one table (each of this Series' length, or one value
        that broadcasts); other values are literals; keyword arguments that are
        None are left out, as in Daft. Raises ValueError for an unknown
        function or Series of other lengths.

        >>> s = Series.from_pylist(["ab", "cd"])
        >>> s._eval_expressions("upper").to_pylist()
        ['AB', 'CD']
        """
        name = _DAFT_REGISTRY_NAMES.get(func_name, func_name)
        fn = name if callable(name) else getattr(functions, name, None)
        if not callable(fn):
            raise ValueError(f"{func_name} not found in function registry")
        n = max([len(self), *(len(a) for a in (*args, *kwargs.values()) if isinstance(a, Series))])
        columns: dict[str, pa.Array] = {}

        def column(value: Any) -> Any:
            if not isinstance(value, Series):
                return value
            if len(value) not in (n, 1):
                raise ValueError(f"expected Series of length {n} or 1, got {value.name()!r} of length {len(value)}")
            key = f"__arg{len(columns)}"
            columns[key] = _broadcast(value._array, n)
            return col(key)

        expr = fn(column(self), *map(column, args), **{k: column(v) for k, v in kwargs.items() if v is not None})
        out = _from_table(pa.table(columns)).select(expr.alias(self._name))._run()
        return Series._make(_with_field(out.column(0).combine_chunks(), out.schema.field(0)), self._name)

    def __len__(self) -> int:
        return len(self._array)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.to_pylist())

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, slice):
            if key.step not in (None, 1):
                raise IndexError("Series slicing supports step 1 only")
            start, stop, _ = key.indices(len(self))
            return Series._make(self._array.slice(start, max(stop - start, 0)), self._name)
        n = len(self)
        if not -n <= key < n:
            raise IndexError("Series index out of range")
        return column_values(self._array.slice(key % n, 1))[0]

    def __repr__(self) -> str:
        return f"Series(name={self._name!r}, dtype={self.datatype()!r}, len={len(self)})\n{self.to_pylist()}"

    def __bool__(self) -> bool:
        raise ValueError(
            "Series don't have a truth value. If you reached this error using `and` / `or`, use `&` / `|` instead."
        )

    def _binary(self, other: Any, op: Any) -> Series:
        """``op(self, other)`` on the two Series' values as Expressions, evaluated by
        the engine (Daft's type promotion and null rules); a one-value ``other``
        broadcasts. Raises TypeError if ``other`` is not a Series, as Daft does."""
        if not isinstance(other, Series):
            raise TypeError(f"expected another Series but got {type(other)}")
        return self._apply_with({"other": other}, lambda a, c: op(a, c["other"]))

    def minhash(self, num_hashes: int, ngram_size: int, seed: int = 1, hash_function: str = "murmurhash3") -> Series:
        """MinHash signatures of the strings (a list of ``num_hashes`` UInt32 per value), as
        ``Expression.minhash``; Daft's Series takes the arguments positionally too.

        Raises ValueError when ``num_hashes`` or ``ngram_size`` is not positive."""
        if num_hashes <= 0:
            raise ValueError(f"num_hashes must be positive: {num_hashes}")
        if ngram_size <= 0:
            raise ValueError(f"ngram_size must be positive: {ngram_size}")
        return self._apply(
            lambda e: e.minhash(num_hashes=num_hashes, ngram_size=ngram_size, seed=seed, hash_function=hash_function)
        )

    def __arrow_c_array__(self, requested_schema: Any = None) -> Any:
        return self._array.__arrow_c_array__(requested_schema)

    def __arrow_c_schema__(self) -> Any:
        return self._array.type.__arrow_c_schema__()

    def __abs__(self) -> Series:
        return self._apply(abs)

    def __invert__(self) -> Series:
        return self._apply(operator.invert)

    __hash__ = None  # type: ignore[assignment]


def _binary_operator(name: str) -> Any:
    op = getattr(operator, name)

    def method(self: Series, other: Any) -> Series:
        return self._binary(other, op)

    method.__name__ = f"__{name.rstrip('_')}__"
    method.__doc__ = f"``operator.{name}(self, other)`` element by element, evaluated by the engine (Daft's semantics)."
    return method


for _name in "add sub mul truediv floordiv mod eq ne lt le gt ge and_ or_ xor lshift rshift".split():
    setattr(Series, f"__{_name.rstrip('_')}__", _binary_operator(_name))


# Daft's function-registry names where ketch.functions names them otherwise
# (or the function, where the arguments differ too).
_DAFT_REGISTRY_NAMES: dict[str, Any] = {
    "utf8_contains": "contains",
    "regexp_match": "regexp",
    "ends_with": "endswith",
    "starts_with": "startswith",
    # Daft's `truncate(expr, relative_to, interval=)`; ketch's `date_trunc(interval, expr, relative_to)`.
    "truncate": lambda expr, relative_to=None, *, interval: functions.date_trunc(interval, expr, relative_to),
    "image_decode": "decode_image",
    "image_encode": "encode_image",
    "image_resize": "resize",
    "to_mode": "convert_image",
    "to_tensor": "image_to_tensor",
}


class SeriesNamespace:
    """The base of ``Series.str``/``dt``/``list``/``map``/``float``/
    ``partitioning``/``image``: each method runs a :mod:`ketch.functions`
    function over the Series (see :meth:`Series._eval_expressions`)."""

    _series: Series

    def __init__(self) -> None:
        raise NotImplementedError("We do not support creating a SeriesNamespace via __init__ ")

    @classmethod
    def from_series(cls, series: Series) -> Any:
        ns = cls.__new__(cls)
        ns._series = series
        return ns

    def _eval_expressions(self, func_name: str, *args: Any, **kwargs: Any) -> Series:
        return self._series._eval_expressions(func_name, *args, **kwargs)


def _namespace(cls: type, methods: str) -> type:
    """Adds to ``cls`` one method per line of ``methods``: ``name(params) -> call``,
    where ``call`` is the ``_eval_expressions`` argument list (Daft's signatures
    and function names, daft/series.py)."""
    for line in filter(None, (m.strip() for m in methods.splitlines())):
        head, call = (part.strip() for part in line.split("->"))
        name, params = head.split("(", 1)
        params = params.rstrip(")")
        scope: dict[str, Any] = {"ImageMode": ImageMode}
        code = f"def {name}(self{', ' if params else ''}{params}):\n    return self._eval_expressions({call})\n"
        exec(code, scope)  # noqa: S102 - a method with Daft's exact signature
        fn = scope[name]
        fn.__doc__ = f"Daft's ``Series.{cls._prefix}.{name}``: ``_eval_expressions({call})`` over the values."
        fn.__qualname__ = f"{cls.__name__}.{name}"
        setattr(cls, name, fn)
    return cls


class SeriesStringNamespace(SeriesNamespace):
    """``Series.str``: Daft 0.7.26's string functions on a Series."""

    _prefix = "str"

    def concat(self, other: Series) -> Series:
        """The strings joined with ``other``'s (a Series): ``self + other``."""
        if not isinstance(other, Series):
            raise ValueError(f"expected another Series but got {type(other)}")
        return self._series + other

    def normalize(
        self,
        *,
        remove_punct: bool = False,
        lowercase: bool = False,
        nfd_unicode: bool = False,
        white_space: bool = False,
    ) -> Series:
        """The strings normalized (see :func:`ketch.functions.normalize`)."""
        flags = {"lowercase": lowercase, "nfd_unicode": nfd_unicode, "white_space": white_space}
        return self._eval_expressions("normalize", remove_punct=remove_punct, **flags)

    def count_matches(self, patterns: Any, *, whole_words: bool = False, case_sensitive: bool = True) -> Series:
        """How many times ``patterns`` (a string or a list of them) occur in each string."""
        return self._eval_expressions(
            "count_matches", patterns=patterns, whole_words=whole_words, case_sensitive=case_sensitive
        )


_namespace(
    SeriesStringNamespace,
    """
    endswith(suffix) -> "endswith", suffix
    startswith(prefix) -> "startswith", prefix
    contains(pattern) -> "contains", pattern
    match(pattern) -> "regexp", pattern
    split(pattern) -> "split", pattern
    regexp_split(pattern) -> "regexp_split", pattern
    extract(pattern, index=0) -> "regexp_extract", pattern, index=index
    extract_all(pattern, index=0) -> "regexp_extract_all", pattern, index=index
    replace(pattern, replacement, regex=False) -> "regexp_replace" if regex else "replace", pattern, replacement
    length() -> "length"
    length_bytes() -> "length_bytes"
    lower() -> "lower"
    upper() -> "upper"
    lstrip() -> "lstrip"
    rstrip() -> "rstrip"
    strip() -> "strip"
    reverse() -> "reverse"
    capitalize() -> "capitalize"
    to_camel_case() -> "to_camel_case"
    to_upper_camel_case() -> "to_upper_camel_case"
    to_snake_case() -> "to_snake_case"
    to_upper_snake_case() -> "to_upper_snake_case"
    to_kebab_case() -> "to_kebab_case"
    to_upper_kebab_case() -> "to_upper_kebab_case"
    to_title_case() -> "to_title_case"
    left(nchars) -> "left", nchars
    right(nchars) -> "right", nchars
    find(substr) -> "find", substr
    rpad(length, pad) -> "rpad", length, pad
    lpad(length, pad) -> "lpad", length, pad
    repeat(n) -> "repeat", n
    like(pattern) -> "like", pattern
    ilike(pattern) -> "ilike", pattern
    to_date(format) -> "to_date", format=format
    to_datetime(format, timezone=None) -> "to_datetime", format=format, timezone=timezone
    substr(start, length=None) -> "substr", start, length
    """,
)


class SeriesDateNamespace(SeriesNamespace):
    """``Series.dt``: Daft 0.7.26's date and time functions on a Series."""

    _prefix = "dt"


_namespace(
    SeriesDateNamespace,
    "\n".join(
        f"{f}() -> {f!r}"
        for f in (
            "date day hour minute second millisecond microsecond nanosecond unix_date time month quarter year "
            "day_of_week day_of_month day_of_year week_of_year total_seconds total_milliseconds "
            "total_microseconds total_nanoseconds total_minutes total_hours total_days"
        ).split()
    )
    + """
    truncate(interval, relative_to=None) -> "truncate", relative_to, interval=interval
    to_unix_epoch(time_unit=None) -> "to_unix_epoch", time_unit=time_unit
    strftime(fmt=None) -> "strftime", format=fmt
    convert_time_zone(to_timezone, from_timezone=None) -> "convert_time_zone", to_timezone, from_timezone
    replace_time_zone(timezone=None) -> "replace_time_zone", timezone
    """,
)


class SeriesFloatNamespace(SeriesNamespace):
    """``Series.float``: NaN and infinity tests on a float Series."""

    _prefix = "float"


_namespace(
    SeriesFloatNamespace,
    """
    is_nan() -> "is_nan"
    is_inf() -> "is_inf"
    not_nan() -> "not_nan"
    fill_nan(fill_value) -> "fill_nan", fill_value
    """,
)


class SeriesListNamespace(SeriesNamespace):
    """``Series.list``: Daft 0.7.26's list functions on a Series."""

    _prefix = "list"


_namespace(
    SeriesListNamespace,
    """
    length() -> "list_count", mode="all"
    get(idx, default) -> "get", idx, default=default
    sort(desc=False, nulls_first=None) -> "list_sort", desc=desc, nulls_first=nulls_first
    flatten() -> "list_flatten"
    contains(item) -> "list_contains", item
    """,
)


class SeriesMapNamespace(SeriesNamespace):
    """``Series.map``: the value of a key in each map."""

    _prefix = "map"


_namespace(SeriesMapNamespace, 'get(key) -> "map_get", key')


class SeriesPartitioningNamespace(SeriesNamespace):
    """``Series.partitioning``: Iceberg-style partition transforms on a Series."""

    _prefix = "partitioning"


_namespace(
    SeriesPartitioningNamespace,
    """
    days() -> "partition_days"
    hours() -> "partition_hours"
    months() -> "partition_months"
    years() -> "partition_years"
    iceberg_bucket(n) -> "partition_iceberg_bucket", n
    iceberg_truncate(w) -> "partition_iceberg_truncate", w
    """,
)


class SeriesImageNamespace(SeriesNamespace):
    """``Series.image``: Daft 0.7.26's image functions on a Series."""

    _prefix = "image"

    def to_mode(self, mode: Any) -> Series:
        """Each image converted to ``mode`` (an ImageMode or its name). Raises
        ValueError for anything else."""
        if isinstance(mode, str):
            mode = ImageMode.from_mode_string(mode.upper())
        if not isinstance(mode, ImageMode):
            raise ValueError(f"mode must be a string or ImageMode variant, but got: {mode}")
        return self._eval_expressions("convert_image", mode=mode)


_namespace(
    SeriesImageNamespace,
    """
    decode(on_error="raise", mode=ImageMode.RGB) -> "decode_image", on_error=on_error, mode=mode
    encode(image_format) -> "encode_image", image_format=image_format
    resize(w, h) -> "resize", w=w, h=h
    to_tensor() -> "image_to_tensor"
    """,
)


def _offset_widening(array: pa.Array) -> int:
    """The bytes ``array``'s 32-bit offsets (strings, binary, lists, at any
    depth) grow by as 64-bit offsets: 4 per offset, one more offset than values."""
    t = array.type
    if pa.types.is_string(t) or pa.types.is_binary(t):
        return (len(array) + 1) * 4
    if pa.types.is_list(t):
        return (len(array) + 1) * 4 + _offset_widening(array.values)
    if pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return _offset_widening(array.values)
    if pa.types.is_struct(t):
        return sum(_offset_widening(array.field(i)) for i in range(t.num_fields))
    return 0


def _broadcast(array: pa.Array, n: int) -> pa.Array:
    """``array`` repeated to ``n`` values when it has one (Daft's broadcast of a one-value Series)."""
    if len(array) != 1 or n == 1:
        return array
    return pa.concat_arrays([array] * n) if n else array.slice(0, 0)


def _with_field(array: pa.Array, field: pa.Field) -> pa.Array:
    """``array`` (storage) as the extension array ``field``'s metadata names, if any."""
    md = field.metadata or {}
    ext = md.get(b"ARROW:extension:name")
    if ext is None or isinstance(array.type, pa.ExtensionType):
        return array
    meta = md.get(b"ARROW:extension:metadata")
    return as_extension(array, ext.decode(), None if meta is None else meta.decode())


def coerce(values: list, arrow_type: pa.DataType) -> pa.Array:
    """``values`` as an Arrow array of ``arrow_type`` (``Series.from_pylist`` with a
    dtype), converting leniently: a value that converts (``"12"`` to an int,
    ``1.7`` to ``1``, ``1`` to ``"1"``) converts; one that cannot becomes null.
    UDF results are converted strictly instead (:mod:`ketch.udf.convert`)."""
    _, lt = logical.of_type(arrow_type)
    if lt is not None:
        return logical_values.from_python(values, lt)
    try:
        return pa.array(values, type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        pass
    if isinstance(arrow_type, pa.UuidType):
        return pa.array([None if v is None else uuid.UUID(str(v)).bytes for v in values], type=arrow_type)
    return pa.array([_coerce_one(v, arrow_type) for v in values], type=arrow_type)


def _coerce_one(value: Any, arrow_type: pa.DataType) -> Any:
    if value is None:
        return None
    try:
        return pa.scalar(value, type=arrow_type).as_py()
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        pass
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return str(value)
    if pa.types.is_list(arrow_type) and not isinstance(value, (list, tuple)):
        return [_coerce_one(value, arrow_type.value_type)]
    try:
        return pa.scalar(value).cast(arrow_type, safe=False).as_py()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
        return None


def _unary(name: str) -> Any:
    def method(self: Series, *args: Any, **kwargs: Any) -> Series:
        return self._apply(lambda e: getattr(e, name)(*args, **kwargs))

    method.__name__ = name
    method.__doc__ = f"The Expression method ``{name}`` over the values, evaluated by the engine."
    return method


# Daft's element-wise Series methods that are Expression methods of the same name.
for _name in (
    "arccos arccosh arcsin arcsinh arctan arctanh cbrt ceil cos cosh cot csc degrees exp expm1 floor "
    "is_null not_null ln log log10 log1p log2 negate pow power radians round sec sign sin sinh sqrt tan tanh "
    "regexp_count"
).split():
    setattr(Series, _name, _unary(_name))
