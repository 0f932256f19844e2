from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from ketch import DataType, Schema
from ketch.schema import Field

DAFT_NAMES = [
    (DataType.int8(), "Int8"),
    (DataType.uint64(), "UInt64"),
    (DataType.float32(), "Float32"),
    (DataType.bool(), "Bool"),
    (DataType.string(), "String"),
    (DataType.binary(), "Binary"),
    (DataType.null(), "Null"),
    (DataType.date(), "Date"),
    (DataType.time("us"), "Time[us]"),
    (DataType.timestamp("us", "UTC"), "Timestamp[us; UTC]"),
    (DataType.timestamp("ms"), "Timestamp[ms]"),
    (DataType.duration("ms"), "Duration[ms]"),
    (DataType.decimal128(15, 2), "Decimal[precision: 15, scale: 2]"),
    (DataType.list(DataType.int64()), "List[Int64]"),
    (DataType.fixed_size_list(DataType.int8(), 3), "List[Int8; 3]"),
    (DataType.struct({"a": DataType.int8()}), "Struct[a: Int8]"),
    (DataType.map(DataType.string(), DataType.int64()), "Map[String: Int64]"),
]


@pytest.mark.parametrize("dtype, name", DAFT_NAMES)
def test_reprs_match_daft(dtype, name):
    assert repr(dtype) == name


def test_arrow_encodings_of_one_logical_type_are_equal():
    assert DataType(pa.string_view()) == DataType.string() == DataType(pa.large_string())
    assert repr(DataType(pa.string_view())) == "String"
    assert DataType(pa.large_list(pa.int64())) == DataType.list(DataType.int64())
    assert hash(DataType(pa.large_string())) == hash(DataType.string())
    assert DataType.int64() != DataType.int32()


def test_predicates():
    assert DataType.int32().is_integer() and DataType.int32().is_int32() and DataType.int32().is_numeric()
    assert DataType.uint8().is_unsigned_integer() and not DataType.uint8().is_signed_integer()
    assert DataType.float64().is_floating() and DataType.decimal128(5, 1).is_decimal128()
    assert DataType.string().is_string() and DataType.date().is_temporal()
    assert DataType.list(DataType.int8()).is_list() and DataType.struct({"a": DataType.int8()}).is_struct()
    assert DataType.map(DataType.string(), DataType.int8()).is_map()
    assert DataType.fixed_size_list(DataType.int8(), 2).is_fixed_size_list()
    assert DataType.decimal128(15, 2).precision == 15 and DataType.decimal128(15, 2).scale == 2
    assert DataType.list(DataType.int8()).dtype == DataType.int8()
    assert DataType.map(DataType.string(), DataType.int8()).key_type == DataType.string()


def test_conversions():
    assert DataType.from_arrow_type(pa.int16()).to_arrow_dtype() == pa.int16()
    assert DataType.from_numpy_dtype(np.dtype("float32")) == DataType.float32()
    assert DataType.infer_from_type(int) == DataType.int64()
    with pytest.raises(ValueError):
        DataType.decimal128(50, 2)
    with pytest.raises(ValueError):
        DataType.timestamp("days")


def test_schema_api():
    s = Schema.from_pydict({"a": DataType.int64(), "b": DataType.string()})
    assert s.column_names() == ["a", "b"]
    assert s["b"] == Field("b", DataType.string())
    assert "a" in s and "z" not in s and len(s) == 2
    assert [f.name for f in s] == ["a", "b"]
    assert s.to_pyarrow_schema() == pa.schema([("a", pa.int64()), ("b", pa.string())])
