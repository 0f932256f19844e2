"""Daft's ``RecordBatch``/``MicroPartition``: an eager, in-memory table.

These are the values that cross ketch's Python extension points as Daft's
do: a :class:`ketch.io.source.DataSourceTask` yields ``RecordBatch``es, a
:class:`ketch.io.sink.DataSink` receives ``MicroPartition``s and returns one
from ``finalize``, and :func:`ketch.io._generator.read_generator` takes
generators of them. Here both are one class over a ``pyarrow.Table`` (with
ketch's logical-type field metadata); operations run through ketch's
DataFrame API, so they have the engine's semantics.

>>> from ketch.recordbatch import RecordBatch
>>> rb = RecordBatch.from_pydict({"x": [1, 2, 3]})
>>> len(rb), rb.column_names()
(3, ['x'])
>>> from ketch import col
>>> rb.filter(col("x") > 1).to_pydict()
{'x': [2, 3]}
"""

from __future__ import annotations

import random
from typing import Any

import pyarrow as pa

from ketch.context import _session
from ketch.dataframe import DataFrame, _from_table
from ketch.expressions import Expression, col
from ketch.memory import from_arrow, from_pandas, from_pydict
from ketch.schema import Schema
from ketch.series import Series


def _exprs(exprs) -> list:
    if isinstance(exprs, (Expression, str)):
        exprs = [exprs]
    return [col(e) if isinstance(e, str) else e for e in exprs]


class MicroPartition:
    """An eager table of rows (Daft's ``MicroPartition``): a ``pyarrow.Table``
    with ketch's logical types, made with :meth:`from_pydict`,
    :meth:`from_arrow`, :meth:`from_pandas` or :meth:`empty`."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    # --- construction -----------------------------------------------------
    @classmethod
    def from_pydict(cls, data: dict[str, Any]) -> MicroPartition:
        if not data:
            return cls(pa.table({}))
        return cls._from_df(from_pydict(data))

    @classmethod
    def from_arrow(cls, data: pa.Table | pa.RecordBatch) -> MicroPartition:
        if isinstance(data, pa.RecordBatch):
            data = pa.Table.from_batches([data])
        return cls._from_df(from_arrow(data))

    from_arrow_table = from_arrow

    @classmethod
    def from_arrow_record_batches(cls, batches: list[pa.RecordBatch], schema: pa.Schema) -> MicroPartition:
        return cls.from_arrow(pa.Table.from_batches(batches, schema=schema))

    @classmethod
    def from_pandas(cls, df) -> MicroPartition:
        return cls._from_df(from_pandas(df))

    @classmethod
    def from_arrays(cls, arrays, names) -> MicroPartition:
        return cls.from_pydict(dict(zip(names, arrays)))

    @classmethod
    def empty(cls, schema: Schema | None = None) -> MicroPartition:
        if schema is None:
            return cls(pa.table({}))
        return cls(schema.to_pyarrow_schema().empty_table())

    @classmethod
    def concat(cls, parts: list[MicroPartition]) -> MicroPartition:
        parts = list(parts)
        if not parts:
            raise ValueError("Need at least 1 MicroPartition to perform concat")
        return cls(pa.concat_tables([p._table for p in parts]))

    @classmethod
    def _from_record_batches(cls, batches, schema=None) -> MicroPartition:
        return cls.concat(batches)

    @classmethod
    def read_parquet(cls, path: str, columns: list[str] | None = None, **_: Any) -> MicroPartition:
        df = DataFrame(_session().scan("parquet", [str(path)], True, None))
        if columns is not None:
            df = df.select(*columns)
        return cls._from_df(df)

    @classmethod
    def _from_df(cls, df: DataFrame) -> MicroPartition:
        return cls(df.to_arrow())

    def _df(self) -> DataFrame:
        return _from_table(self._table)

    # --- inspection -------------------------------------------------------
    def schema(self) -> Schema:
        return self._df().schema()

    def column_names(self) -> list[str]:
        return self._table.column_names

    def get_column_by_name(self, name: str) -> Series:
        return Series.from_arrow(self._table.column(name), name=name)

    get_column = get_column_by_name

    def columns(self) -> list[Series]:
        return [self.get_column_by_name(n) for n in self.column_names()]

    def __len__(self) -> int:
        return self._table.num_rows

    def size_bytes(self) -> int:
        return self._table.nbytes

    def __repr__(self) -> str:
        return repr(self._table)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MicroPartition) and self.to_pydict() == other.to_pydict()

    # --- conversion -------------------------------------------------------
    def to_arrow(self) -> pa.Table:
        return self._table

    def to_arrow_table(self) -> pa.Table:
        return self._table

    def to_pydict(self) -> dict[str, list]:
        return self._df().to_pydict() if self._table.num_columns else {}

    def to_pylist(self) -> list[dict]:
        d = self.to_pydict()
        return [dict(zip(d, row)) for row in zip(*d.values())]

    def to_pandas(self, **kwargs: Any):
        return self._df().to_pandas(**kwargs)

    def to_record_batch(self) -> MicroPartition:
        return self

    def get_record_batches(self) -> list[MicroPartition]:
        return [self]

    # --- operations -------------------------------------------------------
    def eval_expression_list(self, exprs) -> MicroPartition:
        return self._from_df(self._df().select(*_exprs(exprs)))

    def filter(self, exprs) -> MicroPartition:
        df = self._df()
        for e in _exprs(exprs):
            df = df.where(e)
        return self._from_df(df)

    def sort(self, sort_keys, descending=None, nulls_first=None) -> MicroPartition:
        return self._from_df(self._df().sort(_exprs(sort_keys), desc=descending or False, nulls_first=nulls_first))

    def argsort(self, sort_keys, descending=None, nulls_first=None) -> Series:
        keys = _exprs(sort_keys)
        index = "__ketch_argsort_index"
        df = from_arrow(self._table.append_column(index, pa.array(range(len(self)), pa.uint64())))
        order = df.sort(keys, desc=descending or False, nulls_first=nulls_first).select(index).to_arrow()
        return Series.from_arrow(order.column(0).combine_chunks(), name="argsort")

    def head(self, num: int) -> MicroPartition:
        return MicroPartition(self._table.slice(0, num))

    def slice(self, start: int, end: int) -> MicroPartition:
        return MicroPartition(self._table.slice(start, max(0, end - start)))

    def take(self, indices: Series) -> MicroPartition:
        return MicroPartition(self._table.take(indices.to_arrow()))

    def agg(self, to_agg, group_by=None) -> MicroPartition:
        df = self._df()
        if group_by:
            return self._from_df(df.groupby(*_exprs(group_by)).agg(*_exprs(to_agg)))
        return self._from_df(df.agg(*_exprs(to_agg)))

    def explode(self, columns) -> MicroPartition:
        return self._from_df(self._df().explode(*_exprs(columns)))

    def partition_by_random(self, num_partitions: int, seed: int) -> list[MicroPartition]:
        rng = random.Random(seed)
        buckets = [[] for _ in range(num_partitions)]
        for i in range(len(self)):
            buckets[rng.randrange(num_partitions)].append(i)
        return [MicroPartition(self._table.take(pa.array(b, pa.int64()))) for b in buckets]

    def partition_by_hash(self, exprs, num_partitions: int) -> list[MicroPartition]:
        keys = self._df().select(*[e.hash() for e in _exprs(exprs)]).to_pydict()
        buckets = [[] for _ in range(num_partitions)]
        for i, row in enumerate(zip(*keys.values())):
            buckets[hash(row) % num_partitions].append(i)
        return [MicroPartition(self._table.take(pa.array(b, pa.int64()))) for b in buckets]


class RecordBatch(MicroPartition):
    """Daft's ``RecordBatch``: the same eager table as :class:`MicroPartition`
    (Daft's micro-partition is a list of record batches; ketch's is one)."""

    @classmethod
    def _from_pyrecordbatch(cls, batch) -> RecordBatch:
        return batch if isinstance(batch, MicroPartition) else cls.from_arrow(batch)


__all__ = ["MicroPartition", "RecordBatch"]
