"""``Schema`` and ``Field``: column names and their :class:`DataType`, backed
by a ``pyarrow.Schema`` (Daft 0.7.26 API)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from ketch.context import _session
from ketch.datatype import DataType, _as_dtype
from ketch.display import schema_text
from ketch.exceptions import DaftCoreException
from ketch.io_config import io_config_json


class Field:
    """One column: a ``name`` and a ``dtype``."""

    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype: DataType) -> None:
        self.name = name
        self.dtype = dtype

    @classmethod
    def create(cls, name: str, dtype: DataType) -> Field:
        return cls(name, _as_dtype(dtype))

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, dtype={self.dtype!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Field) and (self.name, self.dtype) == (other.name, other.dtype)

    def __hash__(self) -> int:
        return hash((self.name, self.dtype))


class Schema:
    """The ordered columns of a DataFrame."""

    __slots__ = ("_arrow",)

    def __init__(self, arrow_schema: pa.Schema) -> None:
        self._arrow = arrow_schema

    @classmethod
    def from_pyarrow_schema(cls, schema: pa.Schema) -> Schema:
        return cls(schema)

    @classmethod
    def from_pydict(cls, fields: dict[str, DataType]) -> Schema:
        return cls(pa.schema([_as_dtype(v)._field(k) for k, v in fields.items()]))

    @classmethod
    def _from_fields(cls, fields: list[Field]) -> Schema:
        return cls(pa.schema([f.dtype._field(f.name) for f in fields]))

    def to_pyarrow_schema(self) -> pa.Schema:
        return self._arrow

    def column_names(self) -> list[str]:
        return list(self._arrow.names)

    def __getitem__(self, name: str) -> Field:
        idx = self._arrow.get_field_index(name)
        if idx < 0:
            raise DaftCoreException(f"Column '{name}' not found. Available columns: {', '.join(self._arrow.names)}")
        f = self._arrow.field(idx)
        return Field(f.name, DataType._from_field(f))

    def __iter__(self) -> Iterator[Field]:
        return (Field(f.name, DataType._from_field(f)) for f in self._arrow)

    def __len__(self) -> int:
        return len(self._arrow)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._arrow.names

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and list(self) == list(other)

    def __repr__(self) -> str:
        return schema_text(self.column_names(), [repr(f.dtype) for f in self]) + "\n"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{f.name}</td><td>{f.dtype!r}</td></tr>" for f in self)
        return f"<table><tr><th>Column Name</th><th>DType</th></tr>{rows}</table>"

    @classmethod
    def from_field_name_and_types(cls, fields: list[tuple[str, DataType]]) -> Schema:
        """A Schema of ``(name, DataType)`` pairs, in order.

        >>> from ketch import DataType, Schema
        >>> Schema.from_field_name_and_types([("a", DataType.int64())]).column_names()
        ['a']
        """
        return cls(pa.schema([_as_dtype(t)._field(name) for name, t in fields]))

    def to_name_set(self) -> set[str]:
        """The column names as a set."""
        return set(self._arrow.names)

    def union(self, other: Schema) -> Schema:
        """This schema's columns, then ``other``'s (Daft's disjoint union).
        Raises ``ValueError`` when ``other`` is not a Schema and
        ``DaftCoreException`` when the two share a column name."""
        if not isinstance(other, Schema):
            raise ValueError(f"Expected Schema, got other: {type(other)}")
        if self.to_name_set() & other.to_name_set():
            raise DaftCoreException("DaftError::ValueError Cannot disjoint union two schemas with overlapping keys")
        return Schema(pa.schema(list(self._arrow) + list(other._arrow)))

    def apply_hints(self, hints: Schema) -> Schema:
        """This schema with the type of each column that ``hints`` also names
        replaced by the hint's (columns only in ``hints`` are not added), as Daft.

        >>> from ketch import DataType, Schema
        >>> s = Schema.from_field_name_and_types([("a", DataType.int64()), ("b", DataType.string())])
        >>> s.apply_hints(Schema.from_field_name_and_types([("b", DataType.int32())]))["b"].dtype
        Int32
        """
        names = hints.to_name_set()
        return Schema(pa.schema([hints._arrow.field(f.name) if f.name in names else f for f in self._arrow]))

    def estimate_row_size_bytes(self) -> float:
        """The estimated bytes of one row, as Daft estimates it: each column's
        fixed width (strings and binaries 20 bytes, lists 4 elements) plus
        one validity bit."""
        return sum(_row_size(f.type) for f in self._arrow)

    def min_estimated_size_column(self) -> str | None:
        """The name of the column of the smallest estimated size (the first
        on ties), ``None`` for no columns."""
        if not len(self._arrow):
            return None
        return min(self._arrow, key=lambda f: _row_size(f.type)).name

    def display_with_metadata(self, include_metadata: bool = False) -> str:
        """The schema as text (its repr without the final line break), with
        each column's Arrow metadata when ``include_metadata``."""
        text = schema_text(self.column_names(), [repr(f.dtype) for f in self])
        if include_metadata:
            meta = [f"{f.name}: {dict(f.metadata)}" for f in self._arrow if f.metadata]
            text += "".join("\n" + m for m in meta)
        return text

    @classmethod
    def from_parquet(
        cls,
        path: str,
        io_config: Any = None,
        multithreaded_io: bool | None = None,
        coerce_int96_timestamp_unit: Any = None,
    ) -> Schema:
        """The schema of the Parquet file at ``path`` (local or on an object
        store), as ``read_parquet`` reads it. ``multithreaded_io`` has no
        effect (reads are asynchronous); INT96 timestamps are read in
        nanoseconds, the only ``coerce_int96_timestamp_unit`` accepted.
        Raises ``FileNotFoundError`` for a missing file."""
        unit = getattr(coerce_int96_timestamp_unit, "value", coerce_int96_timestamp_unit)
        if unit not in (None, "ns"):
            raise ValueError(f"coerce_int96_timestamp_unit: only TimeUnit.ns() is supported, got {unit!r}")
        return cls._from_file("parquet", path, io_config)

    @classmethod
    def from_csv(
        cls, path: str, parse_options: Any = None, io_config: Any = None, multithreaded_io: bool | None = None
    ) -> Schema:
        """The schema of the CSV file at ``path``, inferred as ``read_csv``
        infers it (a header row, comma-separated). ``parse_options`` other
        than ``None`` raise ``ValueError`` (use ``read_csv``'s arguments)."""
        if parse_options is not None:
            raise ValueError("Schema.from_csv: parse_options are not supported; use read_csv(...).schema()")
        return cls._from_file("csv", path, io_config)

    @classmethod
    def from_json(
        cls, path: str, parse_options: Any = None, io_config: Any = None, multithreaded_io: bool | None = None
    ) -> Schema:
        """The schema of the JSON-lines file at ``path``, inferred as
        ``read_json`` infers it. ``parse_options`` other than ``None`` raise
        ``ValueError``."""
        if parse_options is not None:
            raise ValueError("Schema.from_json: parse_options are not supported; use read_json(...).schema()")
        return cls._from_file("json", path, io_config)

    @classmethod
    def _from_file(cls, fmt: str, path: str, io_config: Any) -> Schema:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a file path or URL, got {type(path).__name__}")
        path = os.fspath(path)
        path = path if "://" in path else os.path.abspath(os.path.expanduser(path))
        plan = _session().scan(fmt, [path], io_config=io_config_json(io_config))
        return cls(plan.schema())


def _row_size(t: pa.DataType) -> float:
    """Daft's estimate of one value's bytes, validity bit included."""
    validity = 0.125
    if isinstance(t, pa.ExtensionType):
        t = t.storage_type
    if pa.types.is_null(t):
        return validity
    if pa.types.is_boolean(t):
        return 0.125 + validity
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return 20 + validity
    if pa.types.is_fixed_size_binary(t):
        return t.byte_width + validity
    if pa.types.is_fixed_size_list(t):
        return t.list_size * _row_size(t.value_type) + validity
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return 4 * _row_size(t.value_type) + validity
    if pa.types.is_map(t):
        return 4 * (_row_size(t.key_type) + _row_size(t.item_type)) + validity
    if pa.types.is_struct(t):
        return sum(_row_size(t.field(i).type) for i in range(t.num_fields)) + validity
    try:
        return t.bit_width / 8 + validity
    except ValueError:
        return 20 + validity
