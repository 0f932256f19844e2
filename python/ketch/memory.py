"""In-memory sources: DataFrames over Python and Arrow data already in memory
(``from_pydict``, ``from_pylist``, ``from_arrow``, ``from_pandas``; exported by
:mod:`ketch` and :mod:`ketch.io`).

>>> from ketch.memory import from_pylist
>>> from_pylist([{"a": 1}, {"a": 2, "b": "x"}]).to_pydict()
{'a': [1, 2], 'b': [None, 'x']}
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ketch.dataframe import DataFrame, _from_table, _optional
from ketch.logical_values import _normalize_column
from ketch.series import Series


def from_arrow(data: Any) -> DataFrame:
    """A DataFrame over Arrow data: a ``pyarrow.Table``, a ``RecordBatch``, a
    list of Tables (same schema, one partition each) or any object with
    ``__arrow_c_stream__``. The data is not copied."""
    if isinstance(data, (list, tuple)):
        if not data:
            raise ValueError("from_arrow() needs at least one table")
        tables = [t if isinstance(t, pa.Table) else pa.table(t) for t in data]
        table = pa.concat_tables(tables)
        return _from_table(table, len(tables))
    if isinstance(data, pa.RecordBatch):
        return _from_table(pa.Table.from_batches([data]))
    if isinstance(data, pa.Table):
        return _from_table(data)
    if hasattr(data, "__arrow_c_stream__"):
        return _from_table(pa.table(data))
    raise TypeError(
        f"from_arrow() expects a pyarrow Table, a list of Tables or an Arrow stream, got {type(data).__name__}"
    )


def from_pydict(data: dict[str, Any]) -> DataFrame:
    """A DataFrame from ``{column name: list | numpy array | pyarrow array | Series}``
    (a Series keeps its dtype, as in Daft)."""
    if not isinstance(data, dict):
        raise TypeError(f"from_pydict() expects a dict, got {type(data).__name__}")
    columns = {k: _normalize_column(k, v.to_arrow() if isinstance(v, Series) else v) for k, v in data.items()}
    lengths = {k: len(a) for k, (a, _) in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"from_pydict: columns have different lengths: {lengths}")
    if not columns:
        return _from_table(pa.table({}))
    schema = pa.schema([f for _, f in columns.values()])
    return _from_table(pa.Table.from_arrays([a for a, _ in columns.values()], schema=schema))


def from_pylist(data: list[dict[str, Any]]) -> DataFrame:
    """A DataFrame from a list of row dicts (missing keys are null)."""
    if not isinstance(data, list):
        raise TypeError(f"from_pylist() expects a list of dicts, got {type(data).__name__}")
    names: dict[str, None] = {}
    for row in data:
        if not isinstance(row, dict):
            raise TypeError(f"from_pylist() expects a list of dicts, found {type(row).__name__}")
        names.update(dict.fromkeys(row))
    return from_pydict({n: [row.get(n) for row in data] for n in names})


def from_pandas(data: Any) -> DataFrame:
    """A DataFrame from a pandas DataFrame (or a list of them, one partition each)."""
    if isinstance(data, list):
        return from_arrow([pa.Table.from_pandas(d, preserve_index=False) for d in data])
    return from_arrow(pa.Table.from_pandas(data, preserve_index=False))


def from_ray_dataset(ds: Any) -> DataFrame:
    """A DataFrame over a Ray Dataset (``ray.data.Dataset``): its blocks as
    Arrow tables (``Dataset.to_arrow_refs``), fetched from Ray's object store
    into this process, one partition each.

    Unlike Daft, which needs its Ray runner for this, it works on the native
    runner. Raises ``TypeError`` when ``ds`` is not a Ray Dataset and
    ``ImportError`` when Ray is not installed.

    >>> import ray  # doctest: +SKIP
    >>> from_ray_dataset(ray.data.from_items([{"a": 1}, {"a": 2}])).to_pydict()  # doctest: +SKIP
    {'a': [1, 2]}
    """
    ray = _optional("ray", "from_ray_dataset", "ray")
    if not isinstance(ds, ray.data.Dataset):
        raise TypeError(f"from_ray_dataset expects a ray.data.Dataset, got {type(ds).__name__}")
    tables = [t for t in ray.get(ds.to_arrow_refs()) if t.num_rows > 0]
    return from_arrow(tables) if tables else from_arrow(ds.schema().base_schema.empty_table())


def from_dask_dataframe(ddf: Any) -> DataFrame:
    """A DataFrame over a Dask DataFrame: its partitions computed with the
    scheduler Dask is configured with, as pandas DataFrames converted by
    :func:`from_pandas` (index dropped), one partition each.

    Unlike Daft, which needs its Ray runner (and Dask-on-Ray) for this, it works
    on the native runner. Raises ``TypeError`` when ``ddf`` is not a Dask
    DataFrame and ``ImportError`` when Dask is not installed.

    >>> import dask.dataframe as dd
    >>> import pandas as pd
    >>> from_dask_dataframe(dd.from_pandas(pd.DataFrame({"a": [1, 2]}), npartitions=2)).to_pydict()
    {'a': [1, 2]}
    """
    dask = _optional("dask", "from_dask_dataframe", "dask[dataframe]")
    dd = _optional("dask.dataframe", "from_dask_dataframe", "dask[dataframe]")
    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(f"from_dask_dataframe expects a dask.dataframe.DataFrame, got {type(ddf).__name__}")
    parts = dask.compute(*ddf.to_delayed())
    return from_pandas(list(parts))
