"""Daft's ``DataType``, backed by Arrow types.

Each DataType wraps one ``pyarrow.DataType``; its ``repr`` is Daft 0.7.26's name
(``Int64``, ``String``, ``Decimal[precision: 15, scale: 2]``, ``List[Int64]``,
``Timestamp[us; UTC]``). Several Arrow encodings of one logical type (``string``,
``large_string``, ``string_view``) share one Daft name and compare equal.
Multimodal types (``Image``, ``Tensor``, ``Embedding``, ``File``, ``Python``)
are an Arrow storage type plus Daft's logical description (see
:mod:`ketch.logical`).
"""

from __future__ import annotations

import builtins
import enum
import json
from typing import Any

import pyarrow as pa

from ketch import logical as _lg
from ketch._native import map_type
from ketch.context import _session
from ketch.logical import ImageMode, mode_of

_UNITS = ("s", "ms", "us", "ns")


def _unit(unit: Any) -> str:
    u = str(getattr(unit, "value", unit) or "us").lower()
    aliases = {"seconds": "s", "milliseconds": "ms", "microseconds": "us", "nanoseconds": "ns"}
    u = aliases.get(u, u)
    if u not in _UNITS:
        raise ValueError(f"time unit must be one of {', '.join(_UNITS)}, got {unit!r}")
    return u


class TimeUnit:
    """A time unit: ``s``, ``ms``, ``us`` or ``ns``."""

    def __init__(self, value: str) -> None:
        self.value = _unit(value)

    @classmethod
    def s(cls) -> TimeUnit:
        return cls("s")

    @classmethod
    def ms(cls) -> TimeUnit:
        return cls("ms")

    @classmethod
    def us(cls) -> TimeUnit:
        return cls("us")

    @classmethod
    def ns(cls) -> TimeUnit:
        return cls("ns")

    @classmethod
    def from_str(cls, unit: str) -> TimeUnit:
        return cls(unit)

    def __repr__(self) -> str:
        return self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimeUnit) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


class MediaType:
    """What a ``File`` column's files hold (Daft's ``daft.datatype.MediaType``):
    ``DataType.file(MediaType.image())`` is ``File[Image]``.

    >>> DataType.file(MediaType.image())
    File[Image]
    """

    __slots__ = ("_media_type",)

    def __init__(self, kind: str) -> None:
        self._media_type = kind

    @staticmethod
    def unknown() -> MediaType:
        return MediaType("Unknown")

    @staticmethod
    def image() -> MediaType:
        return MediaType("Image")

    @staticmethod
    def audio() -> MediaType:
        return MediaType("Audio")

    @staticmethod
    def video() -> MediaType:
        return MediaType("Video")

    @staticmethod
    def hdf5() -> MediaType:
        return MediaType("Hdf5")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MediaType) and other._media_type == self._media_type

    def __hash__(self) -> int:
        return hash(self._media_type)

    def __repr__(self) -> str:
        return f"MediaType.{self._media_type.lower()}()"


class UnionMode(enum.Enum):
    """How a union stores its values (Daft's ``daft.datatype.UnionMode``): every
    child as long as the union (``Sparse``) or children holding only their own
    values with offsets (``Dense``)."""

    Sparse = "sparse"
    Dense = "dense"

    @classmethod
    def from_mode_string(cls, mode: str) -> UnionMode:
        """``"sparse"`` or ``"dense"``; ``ValueError`` for anything else (as in Daft)."""
        for m in cls:
            if mode == m.value:
                return m
        raise ValueError(f"Union mode {mode} is not supported; only sparse and dense mode are supported")

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"UnionMode.{self.name}"


def _canonical_child(f: pa.Field, name: str | None = None) -> pa.Field:
    """A child field for :func:`_canonical`: canonical type, and only the
    metadata that names a type (``ARROW:extension:*``)."""
    md = {k: v for k, v in (f.metadata or {}).items() if k in (_lg.EXTENSION_NAME, _lg.EXTENSION_METADATA)}
    return pa.field(f.name if name is None else name, _canonical(f.type), metadata=md or None)


def _canonical(t: pa.DataType) -> pa.DataType:
    """One Arrow type per Daft type, for equality (with ``check_metadata``) and hashing."""
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t) or pa.types.is_large_list_view(t):
        return pa.list_(_canonical_child(t.value_field, "item"))
    if pa.types.is_fixed_size_list(t):
        return pa.list_(_canonical_child(t.value_field, "item"), t.list_size)
    if pa.types.is_struct(t):
        return pa.struct([_canonical_child(f) for f in t])
    if pa.types.is_dictionary(t):
        return _canonical(t.value_type)
    return t


def _child_name(f: pa.Field) -> str:
    """The display name of a nested type's child (an extension type by its metadata)."""
    return repr(DataType._from_field(f)) if f.metadata else _name(f.type)


def _name(t: pa.DataType) -> str:
    if isinstance(t, pa.UuidType):
        return "UUID"
    t = _canonical(t)
    simple = {
        pa.int8(): "Int8",
        pa.int16(): "Int16",
        pa.int32(): "Int32",
        pa.int64(): "Int64",
        pa.uint8(): "UInt8",
        pa.uint16(): "UInt16",
        pa.uint32(): "UInt32",
        pa.uint64(): "UInt64",
        pa.float16(): "Float16",
        pa.float32(): "Float32",
        pa.float64(): "Float64",
        pa.bool_(): "Bool",
        pa.string(): "String",
        pa.binary(): "Binary",
        pa.null(): "Null",
        pa.date32(): "Date",
        pa.date64(): "Date",
    }
    if t in simple:
        return simple[t]
    if pa.types.is_decimal(t):
        return f"Decimal[precision: {t.precision}, scale: {t.scale}]"
    if pa.types.is_timestamp(t):
        return f"Timestamp[{t.unit}; {t.tz}]" if t.tz else f"Timestamp[{t.unit}]"
    if pa.types.is_time(t):
        return f"Time[{t.unit}]"
    if pa.types.is_duration(t):
        return f"Duration[{t.unit}]"
    if pa.types.is_interval(t):
        return "Interval"
    if pa.types.is_fixed_size_list(t):
        return f"List[{_child_name(t.value_field)}; {t.list_size}]"
    if pa.types.is_list(t):
        return f"List[{_child_name(t.value_field)}]"
    if pa.types.is_map(t):
        return f"Map[{_name(t.key_type)}: {_name(t.item_type)}]"
    if pa.types.is_struct(t):
        return "Struct[" + ", ".join(f"{f.name}: {_child_name(f)}" for f in t) + "]"
    if pa.types.is_fixed_size_binary(t):
        return f"Binary[{t.byte_width}]"
    if pa.types.is_union(t):
        members = ", ".join(f"{f.name}: {DataType._from_field(f)}" for f in t)
        return f"Union[{members}; type_ids: {list(t.type_codes)}; mode: {t.mode.capitalize()}]"
    return str(t)


class DataType:
    """A column type (Daft 0.7.26 names), backed by a ``pyarrow.DataType``.

    Build one with the class methods (``DataType.int64()``, ``DataType.list(...)``)
    or from Arrow with :meth:`from_arrow_type`; get the Arrow type back with
    :meth:`to_arrow_dtype`.
    """

    __slots__ = ("_arrow", "_logical")

    def __init__(self, arrow_type: pa.DataType, logical: Any = None) -> None:
        if not isinstance(arrow_type, pa.DataType):
            raise TypeError(f"DataType wraps a pyarrow.DataType, got {type(arrow_type).__name__}")
        if logical is None:
            arrow_type, logical = _lg.extension_of_type(arrow_type) or _lg.of_type(arrow_type)
        self._arrow = arrow_type
        #: Daft's description of a multimodal type (``{"Image": "RGB"}``, ...), else None.
        self._logical = logical

    @classmethod
    def _logical_type(cls, logical: Any) -> DataType:
        return cls(_lg.storage(logical), logical)

    @classmethod
    def _from_field(cls, field: pa.Field) -> DataType:
        """The DataType of an Arrow field (its extension metadata names a logical type)."""
        storage, logical = _lg.of_field(field)
        if logical is None and (extension := _lg.extension_of_field(field)) is not None:
            return cls(storage, extension)
        return cls(storage, logical)

    # --- constructors -------------------------------------------------
    @classmethod
    def int8(cls) -> DataType:
        return cls(pa.int8())

    @classmethod
    def int16(cls) -> DataType:
        return cls(pa.int16())

    @classmethod
    def int32(cls) -> DataType:
        return cls(pa.int32())

    @classmethod
    def int64(cls) -> DataType:
        return cls(pa.int64())

    @classmethod
    def uint8(cls) -> DataType:
        return cls(pa.uint8())

    @classmethod
    def uint16(cls) -> DataType:
        return cls(pa.uint16())

    @classmethod
    def uint32(cls) -> DataType:
        return cls(pa.uint32())

    @classmethod
    def uint64(cls) -> DataType:
        return cls(pa.uint64())

    @classmethod
    def float16(cls) -> DataType:
        return cls(pa.float16())

    @classmethod
    def float32(cls) -> DataType:
        return cls(pa.float32())

    @classmethod
    def float64(cls) -> DataType:
        return cls(pa.float64())

    @classmethod
    def bool(cls) -> DataType:
        return cls(pa.bool_())

    @classmethod
    def string(cls) -> DataType:
        return cls(pa.string())

    @classmethod
    def binary(cls) -> DataType:
        return cls(pa.binary())

    @classmethod
    def fixed_size_binary(cls, size: int) -> DataType:
        if not isinstance(size, int) or size <= 0:
            raise ValueError(f"fixed_size_binary size must be a positive int, got {size!r}")
        return cls(pa.binary(size))

    @classmethod
    def uuid(cls) -> DataType:
        """A UUID: 16 bytes as Arrow's canonical ``arrow.uuid`` extension type (Daft's layout)."""
        return cls(pa.uuid())

    @classmethod
    def null(cls) -> DataType:
        return cls(pa.null())

    @classmethod
    def date(cls) -> DataType:
        return cls(pa.date32())

    @classmethod
    def time(cls, timeunit: TimeUnit | str = "us") -> DataType:
        u = _unit(timeunit)
        return cls(pa.time32(u) if u in ("s", "ms") else pa.time64(u))

    @classmethod
    def timestamp(cls, timeunit: TimeUnit | str = "us", timezone: str | None = None) -> DataType:
        return cls(pa.timestamp(_unit(timeunit), tz=timezone))

    @classmethod
    def duration(cls, timeunit: TimeUnit | str = "us") -> DataType:
        return cls(pa.duration(_unit(timeunit)))

    @classmethod
    def interval(cls) -> DataType:
        return cls(pa.month_day_nano_interval())

    @classmethod
    def decimal128(cls, precision: int, scale: int) -> DataType:
        if not 1 <= precision <= 38:
            raise ValueError(f"decimal128 precision must be between 1 and 38, got {precision}")
        return cls(pa.decimal128(precision, scale))

    @classmethod
    def list(cls, dtype: DataType) -> DataType:
        return cls(pa.list_(_as_dtype(dtype)._child("item")))

    @classmethod
    def fixed_size_list(cls, dtype: DataType, size: int) -> DataType:
        if not isinstance(size, int) or size <= 0:
            raise ValueError(f"fixed_size_list size must be a positive int, got {size!r}")
        return cls(pa.list_(_as_dtype(dtype)._child("item"), size))

    @classmethod
    def struct(cls, fields: dict[str, DataType]) -> DataType:
        return cls(pa.struct([_as_dtype(v)._child(k) for k, v in fields.items()]))

    @classmethod
    def map(cls, key_type: DataType, value_type: DataType) -> DataType:
        """A map from ``key_type`` to ``value_type`` (Arrow's ``map``; ``Map[Null: Null]`` included)."""
        key, value = _as_dtype(key_type)._arrow, _as_dtype(value_type)._arrow
        return cls(map_type(key, value) if pa.types.is_null(key) else pa.map_(key, value))

    @classmethod
    def image(
        cls, mode: str | ImageMode | None = None, height: int | None = None, width: int | None = None
    ) -> DataType:
        """Images: ``Image[MIXED]`` (any mode per row), ``Image[mode]``, or with
        ``height`` and ``width`` the fixed-shape ``Image[mode; height x width]``."""
        m = mode_of(mode.upper() if isinstance(mode, str) else mode)
        if (height is None) != (width is None):
            raise ValueError(
                "Image height and width must either both be specified, or both not be specified, "
                f"but got height={height}, width={width}"
            )
        if height is None:
            return cls._logical_type({"Image": m.name if m else None})
        if m is None:
            raise ValueError("Image mode must be provided if specifying an image size.")
        for name, v in (("height", height), ("width", width)):
            if not isinstance(v, int) or v <= 0:
                raise ValueError(f"Image {name} must be a positive integer, but got: {v!r}")
        return cls._logical_type({"FixedShapeImage": [m.name, height, width]})

    @classmethod
    def tensor(cls, dtype: DataType, shape: tuple[int, ...] | None = None) -> DataType:
        """N-dimensional arrays of ``dtype``: ``Tensor[T]`` (a shape per row) or,
        with ``shape``, ``Tensor[T; shape]`` (Arrow's ``fixed_shape_tensor``)."""
        element = _lg.element_name(_as_dtype(dtype)._arrow)
        if shape is None:
            return cls._logical_type({"Tensor": element})
        if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise ValueError("Tensor shape must be a tuple of ints, but got: ", shape)
        return cls._logical_type({"FixedShapeTensor": [element, list(shape)]})

    @classmethod
    def sparse_tensor(
        cls, dtype: DataType, shape: tuple[int, ...] | None = None, use_offset_indices: bool = False
    ) -> DataType:
        """Sparse tensors of ``dtype``: per row the non-zero values and their flat
        (row-major) indices, ``SparseTensor[T]`` with a shape per row or, with
        ``shape``, ``FixedShapeSparseTensor[T; shape]``. ``use_offset_indices``
        stores the first index then the gaps between indices (Daft's layout).
        Raises ``ValueError`` for a shape that is not a non-empty tuple of ints."""
        element = _lg.element_name(_as_dtype(dtype)._arrow)
        if shape is None:
            return cls._logical_type({"SparseTensor": [element, bool(use_offset_indices)]})
        if not isinstance(shape, tuple) or not shape or not all(isinstance(d, int) for d in shape):
            raise ValueError("SparseTensor shape must be a non-empty tuple of ints, but got: ", shape)
        if any(d < 0 for d in shape):
            raise OverflowError("can't convert negative int to unsigned")
        return cls._logical_type({"FixedShapeSparseTensor": [element, list(shape), bool(use_offset_indices)]})

    @classmethod
    def embedding(cls, dtype: DataType, size: int) -> DataType:
        """Vectors of ``size`` numbers of ``dtype`` (``Embedding[T; size]``)."""
        t = _as_dtype(dtype)
        if t._logical is not None or not (pa.types.is_integer(t._arrow) or pa.types.is_floating(t._arrow)):
            raise ValueError(f"The data type for an embedding must be numeric, but got: {t}")
        if not isinstance(size, int) or size <= 0:
            raise ValueError("The size for a embedding must be a positive integer, but got: ", size)
        return cls._logical_type({"Embedding": [_lg.element_name(t._arrow), size]})

    @classmethod
    def file(cls, media_type: Any = None) -> DataType:
        """References to files by URL (``File[Unknown]``, ``File[Image]``, ...)."""
        kind = getattr(media_type, "_media_type", None) or "Unknown"
        return cls._logical_type({"File": kind})

    @classmethod
    def python(cls) -> DataType:
        """Arbitrary Python objects (stored pickled)."""
        return cls._logical_type("Python")

    @classmethod
    def extension(cls, name: str, storage_dtype: DataType, metadata: str | None = None) -> DataType:
        """An Arrow extension type: values of ``storage_dtype`` labelled ``name``
        (with optional ``metadata``), Daft's ``Extension[name; storage]``. Its
        Arrow type is the class registered with pyarrow under ``name`` if any,
        else a generic extension type of that name; in the engine and in files
        it is the storage type with Arrow's ``ARROW:extension:*`` field metadata.
        Types with different metadata are different types, as in Daft.

        Raises ``TypeError`` for a name or metadata that is not a string, or a
        storage that is not a plain Arrow type (a multimodal type).

        >>> t = DataType.extension("my.tags", DataType.string())
        >>> t, t.is_extension()
        (Extension[my.tags; String], True)
        """
        if not isinstance(name, str):
            raise TypeError(f"DataType.extension: name must be a str, got {type(name).__name__}")
        if metadata is not None and not isinstance(metadata, str):
            raise TypeError(f"DataType.extension: metadata must be a str or None, got {type(metadata).__name__}")
        storage = _as_dtype(storage_dtype)
        if storage._logical is not None:
            raise TypeError(f"DataType.extension: storage_dtype must be a plain Arrow type, got {storage}")
        return cls(storage._arrow, {_lg.EXTENSION: [name, metadata]})

    @classmethod
    def union(
        cls, fields: dict[str, DataType], type_ids: builtins.list[int], mode: str | UnionMode = "sparse"
    ) -> DataType:
        """A union of named fields, each value one of them (Arrow's sparse or
        dense union; Daft's ``Union[name: type, ...; type_ids: [...]; mode: ...]``).
        ``type_ids`` gives each field's type id, in order.

        Raises ``ValueError`` when ``type_ids`` and ``fields`` differ in length
        or ``mode`` is neither ``"sparse"`` nor ``"dense"``.

        >>> u = DataType.union({"i": DataType.int32(), "f": DataType.float64()}, type_ids=[0, 1], mode="dense")
        >>> u, u.union_mode, u.type_ids
        (Union[i: Int32, f: Float64; type_ids: [0, 1]; mode: Dense], UnionMode.Dense, [0, 1])
        """
        if isinstance(mode, str):
            mode = UnionMode.from_mode_string(mode)
        if len(type_ids) != len(fields):
            raise ValueError(
                f"The number of type IDs ({len(type_ids)}) must match the number of fields ({len(fields)})"
            )
        arrow_fields = [_as_dtype(t)._field(n) for n, t in fields.items()]
        return cls(pa.union(arrow_fields, mode.name.lower(), list(type_ids)))

    @classmethod
    def from_arrow_type(cls, arrow_type: pa.DataType) -> DataType:
        return cls(arrow_type)

    @classmethod
    def from_sql(cls, sql: str) -> DataType:
        """The DataType a SQL type name stands for, as Daft reads it: ``int``
        Int32, ``bigint`` Int64, ``float``/``double`` Float64, ``real``
        Float32, ``string``/``varchar``/``text`` String, ``INT[]`` a list,
        ``INT[3]`` a fixed-size list, ``STRUCT<a INT, b STRING>``,
        ``decimal(10, 2)``, ``timestamp`` (µs), the sized names (``uint32``,
        ``float32``, ...) and Daft's multimodal types (``image``,
        ``image(RGB, 28, 28)``, ``tensor(float, 2, 3)``,
        ``embedding(float, 384)``). Raises ``InvalidSQLException`` for text
        that is not one data type or a type Daft does not support.

        >>> from ketch import DataType
        >>> DataType.from_sql("float"), DataType.from_sql("INT[]"), DataType.from_sql("embedding(float, 3)")
        (Float64, List[Int32], Embedding[Float64; 3])
        """
        if not isinstance(sql, str):
            raise TypeError(f"DataType.from_sql expects a string, got {type(sql).__name__}")
        arrow_type, metadata = _session().sql_type(sql)
        return cls._from_field(pa.field("x", arrow_type, metadata=metadata or None))

    @classmethod
    def _infer(cls, value: Any) -> DataType:
        """A DataType from a DataType, a SQL type name or a Python type (Daft's
        ``DataTypeLike``); ``TypeError`` for anything else."""
        if isinstance(value, (str, DataType, pa.DataType)) or isinstance(value, type):
            return _as_dtype(value, sql_names=True)
        raise TypeError("DataType._infer expects a DataType, string, or type")

    @classmethod
    def infer_from_object(cls, obj: Any) -> DataType:
        """The DataType a column holding ``obj`` gets (Daft's
        ``DataType.infer_from_object``): the rules of ``from_pydict``/
        ``Series.from_pylist``, so a list is a ``List``, a dict a ``Struct``,
        a numpy array a tensor and anything else ``Python``.

        >>> from ketch import DataType
        >>> DataType.infer_from_object([1, 2]), DataType.infer_from_object({"a": 1.5})
        (List[Int64], Struct[a: Float64])
        """
        return _infer_object(obj)

    @classmethod
    def infer_from_type(cls, t: type) -> DataType:
        """The DataType of a Python type (``int``, ``float``, ``str``, ``bool``, ``bytes``)."""
        return _as_dtype(t)

    @classmethod
    def from_numpy_dtype(cls, np_type: Any) -> DataType:
        """The DataType of a numpy dtype."""
        return cls(pa.from_numpy_dtype(np_type))

    # --- conversion and predicates ------------------------------------
    def to_arrow_dtype(self) -> pa.DataType:
        """The Arrow type: for a multimodal type an extension type carrying Daft's
        metadata (Arrow's ``fixed_shape_tensor`` for a fixed-shape tensor)."""
        if self._logical is None:
            return self._arrow
        if self._kind() == _lg.EXTENSION:
            return _lg.extension_type(self._arrow, *self._logical[_lg.EXTENSION])
        if isinstance(self._logical, dict) and "FixedShapeTensor" in self._logical:
            return pa.fixed_shape_tensor(self._arrow.value_type, self._logical["FixedShapeTensor"][1])
        return _DaftExtension(self._arrow, self._logical)

    def _field(self, name: str) -> pa.Field:
        """An Arrow field of this type (extension metadata for multimodal types)."""
        if self._logical is None:
            return pa.field(name, self._arrow)
        if self._kind() == _lg.EXTENSION:
            return pa.field(name, self._arrow, metadata=_lg.extension_metadata(*self._logical[_lg.EXTENSION]))
        return _lg.field(name, self._logical)

    def _child(self, name: str) -> pa.Field:
        """The child field of a nested type holding this type: extension types
        keep their field metadata there (multimodal types their storage only)."""
        return self._field(name) if self._kind() == _lg.EXTENSION else pa.field(name, self._arrow)

    def _is(self, pred) -> bool:
        return self._logical is None and bool(pred(_canonical(self._arrow)))

    def _kind(self) -> str | None:
        if self._logical is None:
            return None
        return "Python" if self._logical == "Python" else next(iter(self._logical))

    def is_image(self) -> bool:
        return self._kind() == "Image"

    def is_fixed_shape_image(self) -> bool:
        return self._kind() == "FixedShapeImage"

    def is_tensor(self) -> bool:
        return self._kind() == "Tensor"

    def is_fixed_shape_tensor(self) -> bool:
        return self._kind() == "FixedShapeTensor"

    def is_sparse_tensor(self) -> bool:
        return self._kind() == "SparseTensor"

    def is_fixed_shape_sparse_tensor(self) -> bool:
        return self._kind() == "FixedShapeSparseTensor"

    @property
    def use_offset_indices(self) -> bool:
        """Whether a sparse tensor type stores its indices as gaps."""
        kind = self._kind()
        if kind in ("SparseTensor", "FixedShapeSparseTensor"):
            return self._logical[kind][-1]
        raise AttributeError(f"DataType {self} does not have a `use_offset_indices` property")

    def is_embedding(self) -> bool:
        return self._kind() == "Embedding"

    def is_file(self) -> bool:
        return self._kind() == "File"

    def is_python(self) -> bool:
        return self._kind() == "Python"

    def is_logical(self) -> bool:
        return self._kind() not in (None, "Python", _lg.EXTENSION)

    def is_extension(self) -> bool:
        """An Arrow extension type other than Daft's own (:meth:`extension`)."""
        return self._kind() == _lg.EXTENSION

    def is_union(self) -> bool:
        return self._logical is None and pa.types.is_union(self._arrow)

    @property
    def union_mode(self) -> UnionMode:
        """A union's mode; ``AttributeError`` for other types."""
        if not self.is_union():
            raise AttributeError(f"DataType {self} does not have a `union_mode` property")
        return UnionMode.from_mode_string(self._arrow.mode)

    @property
    def type_ids(self) -> builtins.list[int]:
        """A union's type ids, one per field; ``AttributeError`` for other types."""
        if not self.is_union():
            raise AttributeError(f"DataType {self} does not have a `type_ids` property")
        return list(self._arrow.type_codes)

    @property
    def image_mode(self) -> ImageMode | None:
        if self._kind() == "Image":
            return mode_of(self._logical["Image"])
        if self._kind() == "FixedShapeImage":
            return mode_of(self._logical["FixedShapeImage"][0])
        raise AttributeError(f"DataType {self} does not have an `image_mode` property")

    @property
    def shape(self) -> tuple[int, ...]:
        if self._kind() == "FixedShapeImage":
            return tuple(self._logical["FixedShapeImage"][1:])
        if self._kind() in ("FixedShapeTensor", "FixedShapeSparseTensor"):
            return tuple(self._logical[self._kind()][1])
        raise AttributeError(f"DataType {self} does not have a `fixed_shape` property")

    def is_null(self) -> bool:
        return self._is(pa.types.is_null)

    def is_boolean(self) -> bool:
        return self._is(pa.types.is_boolean)

    def is_integer(self) -> bool:
        return self._is(pa.types.is_integer)

    def is_signed_integer(self) -> bool:
        return self._is(pa.types.is_signed_integer)

    def is_unsigned_integer(self) -> bool:
        return self._is(pa.types.is_unsigned_integer)

    def is_floating(self) -> bool:
        return self._is(pa.types.is_floating)

    def is_int8(self) -> bool:
        return self._arrow == pa.int8()

    def is_int16(self) -> bool:
        return self._arrow == pa.int16()

    def is_int32(self) -> bool:
        return self._arrow == pa.int32()

    def is_int64(self) -> bool:
        return self._arrow == pa.int64()

    def is_uint8(self) -> bool:
        return self._arrow == pa.uint8()

    def is_uint16(self) -> bool:
        return self._arrow == pa.uint16()

    def is_uint32(self) -> bool:
        return self._arrow == pa.uint32()

    def is_uint64(self) -> bool:
        return self._arrow == pa.uint64()

    def is_float16(self) -> bool:
        return self._arrow == pa.float16()

    def is_float32(self) -> bool:
        return self._arrow == pa.float32()

    def is_float64(self) -> bool:
        return self._arrow == pa.float64()

    def is_decimal(self) -> bool:
        return self._is(pa.types.is_decimal)

    def is_decimal128(self) -> bool:
        return self._is(pa.types.is_decimal128)

    def is_numeric(self) -> bool:
        return self.is_integer() or self.is_floating() or self.is_decimal()

    def is_string(self) -> bool:
        return self._is(pa.types.is_string)

    def is_binary(self) -> bool:
        return self._is(pa.types.is_binary)

    def is_fixed_size_binary(self) -> bool:
        return self._is(pa.types.is_fixed_size_binary)

    def is_uuid(self) -> bool:
        return isinstance(self._arrow, pa.UuidType)

    def is_date(self) -> bool:
        return self._is(pa.types.is_date)

    def is_time(self) -> bool:
        return self._is(pa.types.is_time)

    def is_timestamp(self) -> bool:
        return self._is(pa.types.is_timestamp)

    def is_duration(self) -> bool:
        return self._is(pa.types.is_duration)

    def is_interval(self) -> bool:
        return self._is(pa.types.is_interval)

    def is_temporal(self) -> bool:
        return self.is_date() or self.is_time() or self.is_timestamp() or self.is_duration()

    def is_list(self) -> bool:
        return self._is(pa.types.is_list)

    def is_fixed_size_list(self) -> bool:
        return self._is(pa.types.is_fixed_size_list)

    def is_struct(self) -> bool:
        return self._is(pa.types.is_struct)

    def is_map(self) -> bool:
        return self._is(pa.types.is_map)

    def is_nested(self) -> bool:
        return self.is_list() or self.is_fixed_size_list() or self.is_struct() or self.is_map()

    @property
    def precision(self) -> int:
        return self._arrow.precision

    @property
    def scale(self) -> int:
        return self._arrow.scale

    @property
    def timeunit(self) -> TimeUnit:
        return TimeUnit(self._arrow.unit)

    @property
    def timezone(self) -> str | None:
        return self._arrow.tz

    @property
    def size(self) -> int:
        if self._kind() == "Embedding":
            return self._logical["Embedding"][1]
        if self._logical is not None:
            raise AttributeError(f"DataType {self} does not have a `fixed_size` property")
        return self._arrow.list_size if pa.types.is_fixed_size_list(self._arrow) else self._arrow.byte_width

    @property
    def dtype(self) -> DataType:
        kind = self._kind()
        if kind in ("Tensor", "FixedShapeTensor", "SparseTensor", "FixedShapeSparseTensor", "Embedding"):
            arg = self._logical[kind]
            return DataType(_lg.element_type(arg if isinstance(arg, str) else arg[0]))
        if self._logical is not None:
            raise AttributeError(f"DataType {self} does not have a `dtype` property")
        return DataType._from_field(self._arrow.value_field)

    @property
    def key_type(self) -> DataType:
        return DataType(self._arrow.key_type)

    @property
    def value_type(self) -> DataType:
        return DataType(self._arrow.item_type)

    @property
    def fields(self) -> dict[str, DataType]:
        return {f.name: DataType._from_field(f) for f in self._arrow}

    def __repr__(self) -> str:
        if self._kind() == _lg.EXTENSION:
            return f"Extension[{self._logical[_lg.EXTENSION][0]}; {_name(self._arrow)}]"
        return _name(self._arrow) if self._logical is None else _lg.name(self._logical)

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DataType)
            and self._logical == other._logical
            and _canonical(self._arrow).equals(_canonical(other._arrow), check_metadata=True)
        )

    def __hash__(self) -> int:
        return hash((str(_canonical(self._arrow)), repr(self)))


# ``DataType.infer_from_object``: set by :mod:`ketch.logical_values` (a
# higher module: it knows how Python values become columns) when imported.
def _infer_object(obj: Any) -> DataType:
    raise RuntimeError("ketch.logical_values sets this when it is imported (import ketch)")


class _DaftExtension(pa.ExtensionType):
    """Daft's ``daft.super_extension`` Arrow extension type (not registered with
    pyarrow, so it never clashes with Daft's own registration): fields of this
    type carry Daft's metadata to the engine and to files."""

    def __init__(self, storage: pa.DataType, logical: Any) -> None:
        self._logical = logical
        super().__init__(storage, _lg.DAFT_EXTENSION)

    def __arrow_ext_serialize__(self) -> bytes:
        return _lg.metadata(self._logical)[_lg.EXTENSION_METADATA]

    @classmethod
    def __arrow_ext_deserialize__(cls, storage_type: pa.DataType, serialized: bytes) -> _DaftExtension:
        return cls(storage_type, json.loads(serialized)["datatype"])


def get_super_ext_type() -> type[pa.ExtensionType]:
    """The ``pyarrow.ExtensionType`` class of Daft's logical types in Arrow
    (``daft.super_extension``): the type of an embedding, image or tensor
    column in ``to_arrow()`` results (Daft's ``daft.datatype.get_super_ext_type``).

    >>> import pyarrow as pa
    >>> t = DataType.embedding(DataType.float32(), 2).to_arrow_dtype()
    >>> isinstance(t, get_super_ext_type())
    True
    """
    return _DaftExtension


def _as_dtype(value: Any, sql_names: bool = False) -> DataType:
    """A DataType from a DataType, a pyarrow type or a Python type; with
    ``sql_names`` also from a SQL type name (``"int"``, see
    :meth:`DataType.from_sql`), which Daft takes where it takes a
    ``DataTypeLike`` (``cast``, ``try_cast``)."""
    if isinstance(value, DataType):
        return value
    if sql_names and isinstance(value, str):
        return DataType.from_sql(value)
    if isinstance(value, pa.DataType):
        return DataType(value)
    py = {int: pa.int64(), float: pa.float64(), str: pa.string(), bool: pa.bool_(), bytes: pa.binary()}
    if isinstance(value, type) and value in py:
        return DataType(py[value])
    raise TypeError(f"expected a DataType, got {value!r} ({type(value).__name__})")


DataTypeLike = DataType | type | str
"""What Daft accepts where it takes a type (``cast``, ``return_dtype``): a
:class:`DataType`, a Python type or a SQL type name (``"int"``)."""
