"""Python values of Arrow data, as Daft 0.7.26 gives them.

``pyarrow``'s ``to_pylist`` is right for every type but Daft's own: a ``UUID``
cell (Arrow's ``arrow.uuid`` extension) is a ``str`` in Daft (``'0190...'``),
where pyarrow gives a ``uuid.UUID``; multimodal columns (named by their
field's extension metadata) become numpy arrays, files and Python objects
(:mod:`ketch.logical_values`). Every conversion of results to Python values
goes through here.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ketch import logical, logical_values


def column_values(column: pa.Array | pa.ChunkedArray, field: pa.Field | None = None) -> list[Any]:
    """The cells of one column as Python values (``field`` names its logical type, if any)."""
    _, lt = logical.of_field(field) if field is not None else logical.of_type(column.type)
    if lt is not None:
        chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
        return [v for c in chunks for v in logical_values.values(c, lt)]
    values = column.to_pylist()
    if isinstance(column.type, pa.UuidType):
        return [None if v is None else str(v) for v in values]
    return values


# Logical types whose pandas cells are pyarrow's conversion of the storage, as in Daft.
_PYARROW_PANDAS = ("Image", "FixedShapeImage", "File", "SparseTensor", "FixedShapeSparseTensor")


def to_pandas(table: pa.Table, coerce_temporal_nanoseconds: bool = False) -> Any:
    """``table`` as a pandas DataFrame, as Daft 0.7.26 gives it: tensor and
    embedding cells are shaped numpy arrays (pyarrow alone gives ``{data,
    shape}`` dicts), ``Python`` cells the objects themselves; images, fixed-shape
    images, sparse tensors and files stay as pyarrow converts their storage
    (dicts of the fields, flat arrays), as in Daft."""
    import pandas as pd

    frame = table.to_pandas(coerce_temporal_nanoseconds=coerce_temporal_nanoseconds)
    for i, f in enumerate(table.schema):
        _, lt = logical.of_field(f)
        if lt is None or (isinstance(lt, dict) and next(iter(lt)) in _PYARROW_PANDAS):
            continue
        frame[f.name] = pd.Series(column_values(table.column(i), f), index=frame.index, dtype=object)
    return frame


def to_pydict(data: pa.Table | pa.RecordBatch) -> dict[str, list[Any]]:
    """``{column name: values}``."""
    return {f.name: column_values(data.column(i), f) for i, f in enumerate(data.schema)}


def to_pylist(data: pa.Table | pa.RecordBatch) -> list[dict[str, Any]]:
    """One ``{column name: value}`` dict per row."""
    columns = to_pydict(data)
    return [dict(zip(columns, row)) for row in zip(*columns.values())] if columns else [{}] * data.num_rows
