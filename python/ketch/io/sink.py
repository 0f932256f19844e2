"""User-defined write targets: Daft's ``DataSink`` and ``WriteResult``
(``daft.io.sink``), written to by :meth:`ketch.DataFrame.write_sink`.

``write_sink(sink)`` calls ``sink.start()``, runs the DataFrame and passes
its partitions, as they are produced, to ``sink.write`` (an iterator of
:class:`ketch.recordbatch.MicroPartition`; it yields one
:class:`WriteResult` per write it makes), then ``sink.finalize(results)``,
whose one-partition result (of ``sink.schema()``) is the returned DataFrame.

>>> import ketch
>>> from ketch.io.sink import DataSink, WriteResult
>>> from ketch.recordbatch import MicroPartition
>>> class CountingSink(DataSink[int]):
...     def schema(self):
...         return ketch.Schema.from_pydict({"rows": ketch.DataType.int64()})
...     def write(self, micropartitions):
...         for mp in micropartitions:
...             yield WriteResult(result=len(mp), bytes_written=mp.size_bytes(), rows_written=len(mp))
...     def finalize(self, write_results):
...         return MicroPartition.from_pydict({"rows": [sum(r.rows_written for r in write_results)]})
>>> ketch.from_pydict({"x": [1, 2, 3]}).write_sink(CountingSink()).to_pydict()
{'rows': [3]}
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

import pyarrow as pa

from ketch import dataframe as _dataframe
from ketch.dataframe import DataFrame, _from_table
from ketch.recordbatch import MicroPartition
from ketch.schema import Schema

__all__ = ["DataSink", "WriteResult"]

WriteResultType = TypeVar("WriteResultType")


@dataclass
class WriteResult(Generic[WriteResultType]):
    """What one write of a :class:`DataSink` reports.

    Attributes:
        result: the sink's own result of the write (any object).
        bytes_written (int): bytes the write stored.
        rows_written (int): rows the write stored.
    """

    result: WriteResultType
    bytes_written: int
    rows_written: int


class DataSink(ABC, Generic[WriteResultType]):
    """A target :meth:`ketch.DataFrame.write_sink` writes to (Daft's
    ``daft.io.sink.DataSink``): ``schema()`` of the finalized result,
    ``write(micropartitions)`` yielding :class:`WriteResult`\\ s and
    ``finalize(results)`` returning a :class:`MicroPartition`; ``start()``
    and ``name()`` are optional."""

    def name(self) -> str:
        """The sink's name, used in error messages."""
        return "User-defined Data Sink"

    @abstractmethod
    def schema(self) -> Schema:
        """The schema of the :class:`MicroPartition` that ``finalize`` returns
        (a mismatch raises ``ValueError``)."""

    def start(self) -> None:  # noqa: B027  (an optional hook, as in Daft)
        """Called once before any write (open connections, start a transaction)."""

    @abstractmethod
    def write(self, micropartitions: Iterator[MicroPartition]) -> Iterator[WriteResult[WriteResultType]]:
        """Writes the partitions it is given, yielding a result per write."""

    def safe_write(self, micropartitions: Iterator[MicroPartition]) -> Iterator[WriteResult[WriteResultType]]:
        """:meth:`write`, with any exception re-raised as a ``RuntimeError``
        naming the sink and the original exception's class and message."""
        try:
            yield from self.write(micropartitions)
        except Exception as e:
            raise RuntimeError(f"Exception occurred while writing to {self.name()}: {type(e).__name__}: {e!s}") from e

    @abstractmethod
    def finalize(self, write_results: list[WriteResult[WriteResultType]]) -> MicroPartition:
        """Combines the writes' results (e.g. commits) into the result partition."""


def write_sink(df: DataFrame, sink: DataSink) -> DataFrame:
    """``df.write_sink(sink)``: see the module docs."""
    if not isinstance(sink, DataSink):
        raise TypeError(f"write_sink() expects a DataSink, got {type(sink).__name__}")
    sink.start()
    parts = (MicroPartition(pa.Table.from_batches([b])) for b in df.to_arrow_iter())
    results = list(sink.safe_write(parts))
    result = sink.finalize(results)
    if not isinstance(result, MicroPartition):
        raise TypeError(f"{sink.name()}.finalize() must return a MicroPartition, got {type(result).__name__}")
    if result.schema() != sink.schema():
        raise ValueError(
            "Schema mismatch between the data sink's schema and the result's schema:\n"
            f"Sink schema:\n{sink.schema()}\nResult schema:\n{result.schema()}"
        )
    return _from_table(result.to_arrow())


_dataframe._table_writers["sink"] = write_sink
