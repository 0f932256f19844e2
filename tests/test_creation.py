from __future__ import annotations

import datetime
import decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ketch
from ketch import DataType, col


def test_from_pydict_types_and_values():
    df = ketch.from_pydict({"a": [1, 2, None], "b": ["x", None, "z"], "c": [1.5, None, 3.0], "d": [True, False, None]})
    assert df.column_names == ["a", "b", "c", "d"]
    assert [repr(f.dtype) for f in df.schema()] == ["Int64", "String", "Float64", "Bool"]
    assert df.to_pydict() == {"a": [1, 2, None], "b": ["x", None, "z"], "c": [1.5, None, 3.0], "d": [True, False, None]}


def test_from_pydict_numpy_and_arrow_columns():
    df = ketch.from_pydict({"n": np.arange(3, dtype=np.int32), "p": pa.array([1.0, 2.0, 3.0], pa.float32())})
    assert df.schema()["n"].dtype == DataType.int32()
    assert df.schema()["p"].dtype == DataType.float32()
    assert df.to_pydict() == {"n": [0, 1, 2], "p": [1.0, 2.0, 3.0]}


def test_from_pydict_rejects_ragged_columns():
    with pytest.raises(ValueError, match="different lengths"):
        ketch.from_pydict({"a": [1, 2], "b": [1]})


def test_from_pydict_empty_columns():
    df = ketch.from_pydict({"a": []})
    assert df.to_pydict() == {"a": []}
    assert df.count_rows() == 0


def test_from_pylist_fills_missing_keys_with_null():
    df = ketch.from_pylist([{"a": 1, "b": "x"}, {"a": 2}])
    assert df.to_pylist() == [{"a": 1, "b": "x"}, {"a": 2, "b": None}]


def test_from_arrow_table_list_and_stream():
    t = pa.table({"a": [1, 2, 3]})
    assert ketch.from_arrow(t).to_pydict() == {"a": [1, 2, 3]}
    df = ketch.from_arrow([t, pa.table({"a": [4]})])
    assert df.num_partitions() == 2
    assert sorted(df.to_pydict()["a"]) == [1, 2, 3, 4]
    reader = pa.RecordBatchReader.from_batches(t.schema, t.to_batches())
    assert ketch.from_arrow(reader).to_pydict() == {"a": [1, 2, 3]}


def test_from_arrow_keeps_utf8view_and_decimal():
    t = pa.table(
        {
            "s": pa.array(["a", "b"], pa.string_view()),
            "d": pa.array([decimal.Decimal("1.25"), None], pa.decimal128(15, 2)),
        }
    )
    df = ketch.from_arrow(t)
    assert [repr(f.dtype) for f in df.schema()] == ["String", "Decimal[precision: 15, scale: 2]"]
    assert df.select((col("d") * 2).alias("d2")).to_pydict() == {"d2": [decimal.Decimal("2.50"), None]}


def test_from_pandas():
    pdf = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert ketch.from_pandas(pdf).to_pydict() == {"a": [1, 2], "b": ["x", "y"]}
    assert ketch.from_pandas(pdf).to_pandas().equals(pdf)


def test_range():
    assert ketch.range(5).to_pydict() == {"id": [0, 1, 2, 3, 4]}
    assert ketch.range(0, 10, 3).to_pydict() == {"id": [0, 3, 6, 9]}
    df = ketch.range(0, 10, 2, partitions=2)
    assert df.num_partitions() == 2
    assert sorted(df.to_pydict()["id"]) == [0, 2, 4, 6, 8]
    assert ketch.range(0).to_pydict() == {"id": []}
    with pytest.raises(ValueError):
        ketch.range(0, 5, 0)


def test_temporal_columns_round_trip():
    d = datetime.date(2020, 1, 2)
    ts = datetime.datetime(2020, 1, 2, 3, 4, 5)
    df = ketch.from_pydict({"d": [d, None], "t": [ts, None]})
    assert [repr(f.dtype) for f in df.schema()] == ["Date", "Timestamp[us]"]
    assert df.to_pydict() == {"d": [d, None], "t": [ts, None]}
