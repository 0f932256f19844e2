"""User-defined scan sources: Daft's ``DataSource`` and ``DataSourceTask``
(``daft.io.source``).

A :class:`DataSource` names its schema and, when the query runs, yields
:class:`DataSourceTask`\\ s for the pushdowns it is given; each task yields
:class:`ketch.recordbatch.RecordBatch`\\ es (or ``pyarrow`` tables/batches).
``DataSource.read()`` is a lazy DataFrame over it: nothing is called until
the DataFrame runs, and then once per run. ``get_tasks`` and ``read`` may be
async generators (Daft's protocol) or plain generators; ketch drives them on
a private event loop in the scan's thread, one task after another, so rows
come out in the order the source yields them.

>>> import ketch
>>> from ketch.io.source import DataSource, DataSourceTask
>>> from ketch.recordbatch import RecordBatch
>>> class Squares(DataSourceTask):
...     def __init__(self, start): self.start = start
...     @property
...     def schema(self): return ketch.Schema.from_pydict({"n": ketch.DataType.int64()})
...     async def read(self):
...         yield RecordBatch.from_pydict({"n": [i * i for i in range(self.start, self.start + 2)]})
>>> class Source(DataSource):
...     name = "squares"
...     schema = Squares(0).schema
...     async def get_tasks(self, pushdowns):
...         for start in (0, 2):
...             yield Squares(start)
>>> Source().read().to_pydict()
{'n': [0, 1, 4, 9]}
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pds

from ketch.context import _session
from ketch.dataframe import DataFrame
from ketch.io.pushdowns import Pushdowns
from ketch.recordbatch import MicroPartition, RecordBatch
from ketch.schema import Schema

__all__ = ["DataSource", "DataSourceTask"]


def _iterate(items: Any) -> Iterator[Any]:
    """The items of a generator, iterable or async generator, in order (an
    async one is driven on a private event loop, one item at a time)."""
    if not hasattr(items, "__anext__"):
        yield from items
        return
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(items.__anext__())
            except StopAsyncIteration:
                return
    finally:
        if hasattr(items, "aclose"):
            loop.run_until_complete(items.aclose())
        loop.close()


def _as_table(batch: Any, where: str) -> pa.Table:
    if isinstance(batch, MicroPartition):
        return batch.to_arrow()
    if isinstance(batch, pa.RecordBatch):
        return pa.Table.from_batches([batch])
    if isinstance(batch, pa.Table):
        return batch
    raise TypeError(f"{where} must yield RecordBatch (ketch.recordbatch) or pyarrow tables, got {type(batch).__name__}")


class DataSource(ABC):
    """A source of rows for a DataFrame (Daft's ``daft.io.source.DataSource``).

    Subclasses give ``name`` (shown in plans), ``schema`` (a :class:`Schema`
    every task's batches have) and ``get_tasks(pushdowns)``, which yields
    :class:`DataSourceTask`\\ s when the query runs (never while it is
    planned). :meth:`read` makes the DataFrame.
    """

    @property
    @abstractmethod
    def name(self) -> str:
        """The source's name, shown in plans."""

    @property
    @abstractmethod
    def schema(self) -> Schema:
        """The schema of every task's record batches."""

    def get_partition_fields(self) -> list:
        """Partitioning fields (Daft's hook for per-file partition values); none by default."""
        return []

    def get_clustering_keys(self) -> None:
        """How the source's output is already distributed. ketch's native runner
        does not use this hint (it never shuffles a single-machine scan); None."""
        return None

    def supports_count_pushdown(self) -> bool:
        """Whether the source can answer a count without reading rows; ketch
        pushes no count into Python sources, so this is never consulted."""
        return False

    @abstractmethod
    def get_tasks(self, pushdowns: Pushdowns) -> AsyncIterator[DataSourceTask] | Iterator[DataSourceTask]:
        """Yields the tasks that read the rows, for these pushdowns (called
        when the query runs)."""

    def read(self) -> DataFrame:
        """A lazy DataFrame over this source.

        Raises:
            TypeError: ``schema`` is not a ketch/Daft :class:`Schema`.
        """
        schema = self.schema
        if not isinstance(schema, Schema):
            raise TypeError(f"DataSource {self.name!r}: schema must be a Schema, got {type(schema).__name__}")
        arrow_schema = schema.to_pyarrow_schema()
        return DataFrame(_session().scan_python(arrow_schema, _SourceScan(self, arrow_schema), str(self.name)))


class _SourceScan:
    """The scan factory ketch's engine calls: ``(columns, filters, limit)`` ->
    an Arrow stream of the source's tasks' batches."""

    def __init__(self, source: DataSource, schema: pa.Schema) -> None:
        self.source = source
        self.schema = schema

    def __call__(self, columns: list[str], filters: list[str], limit: int | None) -> pa.RecordBatchReader:
        pushdowns = Pushdowns._from_scan(columns, filters, limit)
        out = pa.schema([self.schema.field(c) for c in columns])
        return pa.RecordBatchReader.from_batches(out, self._batches(pushdowns, out))

    def _batches(self, pushdowns: Pushdowns, out: pa.Schema) -> Iterator[pa.RecordBatch]:
        name = self.source.name
        for task in _iterate(self.source.get_tasks(pushdowns)):
            if not isinstance(task, DataSourceTask):
                raise TypeError(f"DataSource {name!r}: get_tasks must yield DataSourceTask, got {type(task).__name__}")
            for batch in _iterate(task.read()):
                table = _as_table(batch, f"a task of DataSource {name!r}")
                missing = [c for c in out.names if c not in table.column_names]
                if missing:
                    raise ValueError(f"DataSource {name!r}: a task's batch lacks column(s) {missing}")
                table = table.select(out.names)
                yield from _batches_of(table.cast(out) if table.schema != out else table)


def _batches_of(table: pa.Table) -> Iterator[pa.RecordBatch]:
    """``table``'s batches; a table without columns keeps its row count (a
    count reads no column)."""
    if table.num_columns == 0:
        if table.num_rows:
            yield pa.RecordBatch.from_struct_array(pa.array([{}] * table.num_rows, pa.struct([])))
        return
    yield from table.to_batches()


class DataSourceTask(ABC):
    """One independently readable part of a :class:`DataSource` (Daft's
    ``daft.io.source.DataSourceTask``): ``schema`` and ``read()``, which
    yields its record batches."""

    @property
    @abstractmethod
    def schema(self) -> Schema:
        """The schema of the task's record batches."""

    def read(self) -> AsyncIterator[RecordBatch] | Iterator[RecordBatch]:
        """Yields the task's record batches. The default calls the deprecated
        ``get_micro_partitions`` (Daft's older protocol)."""
        try:
            parts = self.get_micro_partitions()
        except NotImplementedError:
            raise NotImplementedError(
                f"{type(self).__name__} must implement async def read(self) -> AsyncIterator[RecordBatch]"
            ) from None
        for mp in parts:
            yield from mp.get_record_batches()

    def get_micro_partitions(self) -> Iterator[MicroPartition]:
        """Deprecated: override :meth:`read` instead."""
        raise NotImplementedError

    @staticmethod
    def parquet(
        path: str,
        schema: Schema,
        *,
        parquet_config: Any = None,
        pushdowns: Pushdowns | None = None,
        num_rows: int | None = None,
        size_bytes: int | None = None,
        partition_values: RecordBatch | None = None,
        stats: RecordBatch | None = None,
        storage_config: Any = None,
        iceberg_delete_files: list[str] | None = None,
    ) -> DataSourceTask:
        """A task reading one Parquet file (Daft's ``DataSourceTask.parquet``).

        Reads ``path`` with ``schema``'s columns (those in ``pushdowns.columns``
        when given), appends the one-row ``partition_values`` as constant
        columns, and stops after ``pushdowns.limit`` rows. ``num_rows``,
        ``size_bytes`` and ``stats`` are planning hints Daft uses for
        coalescing and pruning; ketch reads the file either way.

        Raises:
            NotImplementedError: ``parquet_config``, ``storage_config`` or
                ``iceberg_delete_files`` (Daft-native reader settings ketch's
                Python sources do not take).
        """
        for arg, value in (
            ("parquet_config", parquet_config),
            ("storage_config", storage_config),
            ("iceberg_delete_files", iceberg_delete_files),
        ):
            if value:
                raise NotImplementedError(f"DataSourceTask.parquet: {arg} is not supported by ketch")
        return _ParquetTask(str(path), schema, pushdowns or Pushdowns(), partition_values)


class _ParquetTask(DataSourceTask):
    def __init__(self, path: str, schema: Schema, pushdowns: Pushdowns, partition_values: RecordBatch | None) -> None:
        self.path = path
        self._schema = schema
        self.pushdowns = pushdowns
        self.partition_values = partition_values.to_arrow() if partition_values is not None else None

    @property
    def schema(self) -> Schema:
        return self._schema

    def read(self) -> Iterator[pa.Table]:
        arrow_schema = self._schema.to_pyarrow_schema()
        wanted = self.pushdowns.columns if self.pushdowns.columns is not None else arrow_schema.names
        constants = self.partition_values.column_names if self.partition_values is not None else []
        file_columns = [c for c in wanted if c not in constants]
        dataset = pds.dataset(self.path, format="parquet")
        remaining = self.pushdowns.limit
        for batch in dataset.to_batches(columns=file_columns):
            if remaining is not None:
                if remaining <= 0:
                    return
                batch = batch.slice(0, remaining)
                remaining -= batch.num_rows
            table = pa.Table.from_batches([batch])
            for name in constants:
                value = self.partition_values.column(name)[0]
                table = table.append_column(
                    self.partition_values.schema.field(name), pa.repeat(value, table.num_rows).cast(value.type)
                )
            yield table.select(wanted)
