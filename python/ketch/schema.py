"""``Schema`` and ``Field``: column names and their :class:`DataType`, backed
by a ``pyarrow.Schema`` (Daft 0.7.26 API)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from ketch.datatype import DataType, _as_dtype
from ketch.display import schema_text
from ketch.exceptions import DaftCoreException


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
