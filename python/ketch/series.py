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

from ketch import logical, logical_values
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
            return cls._make(coerce(data, _as_dtype(dtype).to_arrow_dtype()), name)
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
        """``if_true`` where this (Boolean) Series is true, else ``if_false``."""
        return self._apply_with({"t": if_true, "f": if_false}, lambda e, c: e.if_else(c["t"], c["f"]))

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
        """The values where ``mask`` (Boolean, same length) is true."""
        if not isinstance(mask, Series) or not pa.types.is_boolean(mask._array.type):
            raise ValueError(f"filter expects a Boolean Series, got {mask!r}")
        return Series._make(self._array.filter(mask._array), self._name)

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
        """The bytes the values take in memory."""
        return self._array.nbytes

    def try_cast(self, dtype: Any) -> Series:
        """The values cast to ``dtype``, null where they do not convert."""
        dtype = _as_dtype(dtype, sql_names=True)
        return self._apply(lambda e: e.try_cast(dtype))

    @property
    def str(self) -> _SeriesNamespace:
        """String functions, as the Expression methods of the same names."""
        return _SeriesNamespace(self, "str")

    @property
    def dt(self) -> _SeriesNamespace:
        """Date and time functions, as the Expression methods of the same names."""
        return _SeriesNamespace(self, "dt")

    @property
    def list(self) -> _SeriesNamespace:
        """List functions (``list_*`` Expression methods)."""
        return _SeriesNamespace(self, "list")

    @property
    def map(self) -> _SeriesNamespace:
        """Map functions (``map_*`` Expression methods)."""
        return _SeriesNamespace(self, "map")

    @property
    def float(self) -> _SeriesNamespace:
        """Float functions (``is_nan``, ``is_inf``, ``not_nan``, ``fill_nan``)."""
        return _SeriesNamespace(self, "float")

    @property
    def partitioning(self) -> _SeriesNamespace:
        """Partition transforms (``partitioning_*`` Expression methods)."""
        return _SeriesNamespace(self, "partitioning")

    @property
    def image(self) -> SeriesImageNamespace:
        """Image functions over an image (or binary, for ``decode``) Series."""
        return SeriesImageNamespace(self)

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


class _SeriesNamespace:
    """``Series.str``/``dt``/``list``/``map``/``float``/``partitioning``:
    ``series.<ns>.f(...)`` is the Expression method ``<ns>_f`` or ``f``
    evaluated by the engine over the Series (other Series arguments are not
    taken here)."""

    def __init__(self, series: Series, prefix: str) -> None:
        self._series, self._prefix = series, prefix

    def __getattr__(self, name: str) -> Any:
        probe = col("x")
        # Where Daft's Series namespace and Expression method names differ.
        renamed = {"partitioning": f"partition_{name}", "dt": "date_trunc" if name == "truncate" else name}
        candidates = (f"{self._prefix}_{name}", renamed.get(self._prefix, name), name)
        found = [c for c in candidates if callable(getattr(probe, c, None))]
        if name.startswith("_") or not found:
            raise AttributeError(f"Series.{self._prefix} has no function {name!r}")
        method = found[0]

        def call(*args: Any, **kwargs: Any) -> Series:
            return self._series._apply(lambda e: getattr(e, method)(*args, **kwargs))

        return call


class SeriesImageNamespace:
    """``Series.image``: Daft 0.7.26's image functions on a Series, each run by
    the engine as the expression method of the same meaning."""

    def __init__(self, series: Series) -> None:
        self._series = series

    def decode(self, on_error: str = "raise", mode: Any = None) -> Series:
        """Encoded bytes (``Binary``) -> ``Image[mode]``; see :func:`ketch.functions.decode_image`."""
        mode = ImageMode.RGB if mode is None else mode
        return self._series._apply(lambda e: e.decode_image(on_error=on_error, mode=mode))

    def encode(self, image_format: Any) -> Series:
        """``Image`` -> encoded bytes (``Binary``) in ``image_format``."""
        return self._series._apply(lambda e: e.encode_image(image_format))

    def resize(self, w: int, h: int) -> Series:
        """Each image resized to ``w`` x ``h`` (bilinear)."""
        return self._series._apply(lambda e: e.resize(w, h))

    def to_mode(self, mode: Any) -> Series:
        """Each image converted to ``mode``."""
        return self._series._apply(lambda e: e.convert_image(mode))

    def to_tensor(self) -> Series:
        """Images as ``Tensor[UInt8]`` / ``FixedShapeTensor`` (height, width, channel)."""
        return self._series._apply(lambda e: e.image_to_tensor())


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
    return as_extension(array, ext.decode(), md.get(b"ARROW:extension:metadata", b"").decode())


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
