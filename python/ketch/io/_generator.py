"""``read_generator``: a DataFrame whose partitions come from Python
generators (Daft's ``daft.io._generator``, which Daft's own tests use)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ketch.dataframe import DataFrame
from ketch.io.source import DataSource, DataSourceTask
from ketch.recordbatch import RecordBatch
from ketch.schema import Schema


class _GeneratorTask(DataSourceTask):
    def __init__(self, func: Callable[[], Iterator[RecordBatch]], schema: Schema) -> None:
        self.func = func
        self._schema = schema

    @property
    def schema(self) -> Schema:
        return self._schema

    def read(self) -> Iterator[RecordBatch]:
        yield from self.func()


class _GeneratorSource(DataSource):
    def __init__(self, generators: Iterator[Callable[[], Iterator[RecordBatch]]], schema: Schema) -> None:
        # Materialized once: a DataFrame may run more than once.
        self.functions = list(generators)
        self._schema = schema

    @property
    def name(self) -> str:
        return "GeneratorScanOperator"

    @property
    def schema(self) -> Schema:
        return self._schema

    def get_tasks(self, pushdowns: object) -> Iterator[DataSourceTask]:
        for func in self.functions:
            yield _GeneratorTask(func, self._schema)


def read_generator(generators: Iterator[Callable[[], Iterator[RecordBatch]]], schema: Schema) -> DataFrame:
    """A DataFrame of the record batches that each of ``generators``' functions
    yields when called (one partition of Daft's per function), in order.

    Args:
        generators: an iterable of zero-argument callables, each returning an
            iterator of :class:`ketch.recordbatch.RecordBatch`.
        schema (Schema): the batches' schema.

    >>> import ketch
    >>> from functools import partial
    >>> from ketch.io._generator import read_generator
    >>> from ketch.recordbatch import RecordBatch
    >>> def gen(n):
    ...     yield RecordBatch.from_pydict({"x": list(range(n))})
    >>> schema = ketch.Schema.from_pydict({"x": ketch.DataType.int64()})
    >>> read_generator((partial(gen, n) for n in (2, 1)), schema).to_pydict()
    {'x': [0, 1, 0]}
    """
    return _GeneratorSource(generators, schema).read()
