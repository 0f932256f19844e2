"""Catalogs, tables and identifiers with Daft 0.7.26's API.

:class:`Catalog` is the interface every catalog implements (in-memory now;
Iceberg, Unity and Glue plug in later by subclassing it). :class:`Table` is a
named source of a DataFrame. :class:`Identifier` is a dotted name
(``namespace.table``).
"""

from __future__ import annotations

import fnmatch
from abc import ABC, abstractmethod
from typing import Any

import pyarrow as pa

from ketch.dataframe import DataFrame
from ketch.exceptions import DaftCoreException
from ketch.io import from_arrow, from_pydict
from ketch.schema import Schema


class Identifier:
    """A dotted name such as ``ns.table``: a sequence of parts."""

    __slots__ = ("_parts",)

    def __init__(self, *parts: str) -> None:
        if not parts or not all(isinstance(p, str) and p for p in parts):
            raise ValueError(f"an Identifier needs one or more non-empty string parts, got {parts!r}")
        self._parts = tuple(parts)

    @classmethod
    def from_str(cls, input: str) -> Identifier:
        """Parses ``a.b.c``."""
        if not isinstance(input, str) or not input:
            raise ValueError(f"expected a non-empty identifier string, got {input!r}")
        return cls(*input.split("."))

    @classmethod
    def _of(cls, value: Identifier | str) -> Identifier:
        if isinstance(value, Identifier):
            return value
        if isinstance(value, str):
            return cls.from_str(value)
        raise TypeError(f"expected an Identifier or a str, got {type(value).__name__}")

    def __getitem__(self, i: int) -> str:
        return self._parts[i]

    def __len__(self) -> int:
        return len(self._parts)

    def __iter__(self):
        return iter(self._parts)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = Identifier.from_str(other)
        return isinstance(other, Identifier) and self._parts == other._parts

    def __hash__(self) -> int:
        return hash(self._parts)

    def __str__(self) -> str:
        return ".".join(self._parts)

    def __repr__(self) -> str:
        return f"Identifier('{self}')"


def _as_dataframe(source: Schema | DataFrame, what: str) -> DataFrame:
    """``source`` itself, or an empty DataFrame with the given Schema."""
    if isinstance(source, Schema):
        return from_arrow(source.to_pyarrow_schema().empty_table())
    if not isinstance(source, DataFrame):
        raise TypeError(f"{what}: source must be a Schema or a DataFrame, got {type(source).__name__}")
    return source


def _matches(ident: Identifier, pattern: str | None) -> bool:
    return pattern is None or fnmatch.fnmatchcase(str(ident), pattern) or str(ident).startswith(pattern)


class Table(ABC):
    """A named table: read it as a DataFrame, append to it, overwrite it."""

    @property
    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def read(self, **options: Any) -> DataFrame:
        """The table's rows as a lazy DataFrame."""

    @abstractmethod
    def write(self, df: DataFrame, mode: str = "append", **options: Any) -> None:
        """Appends ``df`` (``mode='append'``) or replaces the rows (``'overwrite'``)."""

    def append(self, df: DataFrame, **options: Any) -> None:
        self.write(df, mode="append", **options)

    def overwrite(self, df: DataFrame, **options: Any) -> None:
        self.write(df, mode="overwrite", **options)

    def schema(self) -> Schema:
        return self.read().schema()

    def select(self, *columns: Any) -> DataFrame:
        return self.read().select(*columns)

    def show(self, n: int = 8) -> None:
        self.read().show(n)

    def __repr__(self) -> str:
        return f"Table('{self.name}')"

    @staticmethod
    def from_df(name: str, dataframe: DataFrame) -> Table:
        """An in-memory table holding ``dataframe``'s rows (computed once)."""
        return MemoryTable(name, dataframe)

    @staticmethod
    def from_pydict(name: str, data: dict[str, Any]) -> Table:
        """An in-memory table from ``{column: values}`` (see ``from_pydict``)."""
        return MemoryTable(name, from_pydict(data))


class MemoryTable(Table):
    """A table whose rows live in memory as Arrow data."""

    def __init__(self, name: str, df: DataFrame) -> None:
        self._name = name
        self._data = df.to_arrow()

    @property
    def name(self) -> str:
        return self._name

    def read(self, **options: Any) -> DataFrame:
        return from_arrow(self._data)

    def write(self, df: DataFrame, mode: str = "append", **options: Any) -> None:
        new = df.to_arrow()
        if mode == "overwrite":
            self._data = new
        elif mode == "append":
            if new.schema.names != self._data.schema.names:
                raise ValueError(
                    f"cannot append to table '{self._name}': columns {new.schema.names} "
                    f"do not match {self._data.schema.names}"
                )
            self._data = pa.concat_tables([self._data, new.cast(self._data.schema)])
        else:
            raise ValueError(f"write mode must be 'append' or 'overwrite', got {mode!r}")


class View(Table):
    """A table defined by a lazy DataFrame, evaluated each time it is read."""

    def __init__(self, name: str, df: DataFrame) -> None:
        self._name = name
        self._df = df

    @property
    def name(self) -> str:
        return self._name

    def read(self, **options: Any) -> DataFrame:
        return self._df

    def write(self, df: DataFrame, mode: str = "append", **options: Any) -> None:
        raise ValueError(f"'{self._name}' is a view; views cannot be written to")


class Catalog(ABC):
    """A catalog of namespaces and tables. Implementations override the
    abstract methods; :meth:`from_pydict` gives an in-memory catalog."""

    @property
    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def _tables(self) -> dict[Identifier, Table]:
        """Every table, by identifier relative to the catalog."""

    @abstractmethod
    def create_namespace(self, identifier: Identifier | str) -> None: ...

    @abstractmethod
    def drop_namespace(self, identifier: Identifier | str) -> None: ...

    @abstractmethod
    def list_namespaces(self, pattern: str | None = None) -> list[Identifier]: ...

    @abstractmethod
    def create_table(
        self,
        identifier: Identifier | str,
        source: Schema | DataFrame,
        properties: Any = None,
        partition_fields: Any = None,
    ) -> Table: ...

    @abstractmethod
    def drop_table(self, identifier: Identifier | str) -> None: ...

    def has_namespace(self, identifier: Identifier | str) -> bool:
        return Identifier._of(identifier) in self.list_namespaces()

    def create_namespace_if_not_exists(self, identifier: Identifier | str) -> None:
        if not self.has_namespace(identifier):
            self.create_namespace(identifier)

    def create_table_if_not_exists(
        self, identifier: Identifier | str, source: Schema | DataFrame, properties: Any = None
    ) -> Table:
        if self.has_table(identifier):
            return self.get_table(identifier)
        return self.create_table(identifier, source, properties)

    def has_table(self, identifier: Identifier | str) -> bool:
        return Identifier._of(identifier) in self._tables()

    def get_table(self, identifier: Identifier | str) -> Table:
        ident = Identifier._of(identifier)
        table = self._tables().get(ident)
        if table is None:
            known = ", ".join(str(i) for i in self._tables()) or "none"
            raise DaftCoreException(f"Table '{ident}' not found in catalog '{self.name}'. Tables: {known}")
        return table

    def list_tables(self, pattern: str | None = None) -> list[Identifier]:
        return [i for i in self._tables() if _matches(i, pattern)]

    def read_table(self, identifier: Identifier | str, **options: Any) -> DataFrame:
        return self.get_table(identifier).read(**options)

    def write_table(self, identifier: Identifier | str, df: DataFrame, mode: str = "append", **options: Any) -> None:
        self.get_table(identifier).write(df, mode, **options)

    def __repr__(self) -> str:
        return f"Catalog('{self.name}')"

    @staticmethod
    def from_pydict(tables: dict[Identifier | str, object], name: str = "default") -> Catalog:
        """An in-memory catalog: each value is a Table, a DataFrame or a
        ``{column: values}`` dict; keys may be ``namespace.table``."""
        catalog = MemoryCatalog(name)
        for key, value in tables.items():
            ident = Identifier._of(key)
            if isinstance(value, Table):
                table = value
            elif isinstance(value, DataFrame):
                table = MemoryTable(ident[-1], value)
            elif isinstance(value, dict):
                table = MemoryTable(ident[-1], from_pydict(value))
            else:
                raise TypeError(
                    f"Catalog.from_pydict: '{key}' must be a Table, DataFrame or dict, got {type(value).__name__}"
                )
            catalog._put(ident, table)
        return catalog


class MemoryCatalog(Catalog):
    """An in-memory catalog."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._by_id: dict[Identifier, Table] = {}
        self._namespaces: set[Identifier] = set()

    @property
    def name(self) -> str:
        return self._name

    def _tables(self) -> dict[Identifier, Table]:
        return self._by_id

    def _put(self, ident: Identifier, table: Table) -> None:
        self._by_id[ident] = table
        if len(ident) > 1:
            self._namespaces.add(Identifier(*ident._parts[:-1]))

    def create_namespace(self, identifier: Identifier | str) -> None:
        ident = Identifier._of(identifier)
        if ident in self._namespaces:
            raise ValueError(f"namespace '{ident}' already exists in catalog '{self._name}'")
        self._namespaces.add(ident)

    def drop_namespace(self, identifier: Identifier | str) -> None:
        ident = Identifier._of(identifier)
        if ident not in self._namespaces:
            raise ValueError(f"namespace '{ident}' does not exist in catalog '{self._name}'")
        self._namespaces.discard(ident)
        for t in [t for t in self._by_id if t._parts[: len(ident)] == ident._parts and len(t) > len(ident)]:
            del self._by_id[t]

    def list_namespaces(self, pattern: str | None = None) -> list[Identifier]:
        return sorted((n for n in self._namespaces if _matches(n, pattern)), key=str)

    def create_table(
        self,
        identifier: Identifier | str,
        source: Schema | DataFrame,
        properties: Any = None,
        partition_fields: Any = None,
    ) -> Table:
        ident = Identifier._of(identifier)
        if ident in self._by_id:
            raise ValueError(f"table '{ident}' already exists in catalog '{self._name}'")
        source = _as_dataframe(source, "create_table")
        table = MemoryTable(ident[-1], source)
        self._put(ident, table)
        return table

    def drop_table(self, identifier: Identifier | str) -> None:
        ident = Identifier._of(identifier)
        if self._by_id.pop(ident, None) is None:
            raise ValueError(f"table '{ident}' does not exist in catalog '{self._name}'")
