"""Python values of Arrow data, as Daft 0.7.26 gives them.

``pyarrow``'s ``to_pylist`` is right for every type but Daft's own: a ``UUID``
cell (Arrow's ``arrow.uuid`` extension) is a ``str`` in Daft (``'0190...'``),
where pyarrow gives a ``uuid.UUID``. Every conversion of results to Python
values goes through here.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa


def column_values(column: pa.Array | pa.ChunkedArray) -> list[Any]:
    """The cells of one column as Python values."""
    values = column.to_pylist()
    if isinstance(column.type, pa.UuidType):
        return [None if v is None else str(v) for v in values]
    return values


def to_pydict(data: pa.Table | pa.RecordBatch) -> dict[str, list[Any]]:
    """``{column name: values}``."""
    return {name: column_values(data.column(i)) for i, name in enumerate(data.schema.names)}


def to_pylist(data: pa.Table | pa.RecordBatch) -> list[dict[str, Any]]:
    """One ``{column name: value}`` dict per row."""
    columns = to_pydict(data)
    return [dict(zip(columns, row)) for row in zip(*columns.values())] if columns else [{}] * data.num_rows
