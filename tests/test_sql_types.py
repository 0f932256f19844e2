"""Daft's SQL type names: ``DataType.from_sql``, ``Expression.cast("int")``
and ``CAST(x AS ...)`` in SQL give the types daft==0.7.26 gives."""

from __future__ import annotations

import daft
import pytest

import ketch
from ketch import DataType
from ketch.exceptions import InvalidSQLException

NAMES = [
    "int",
    "integer",
    "bigint",
    "smallint",
    "tinyint",
    "float",
    "float(53)",
    "float(10)",
    "real",
    "double",
    "double precision",
    "string",
    "varchar",
    "text",
    "date",
    "bool",
    "boolean",
    "timestamp",
    "time",
    "binary",
    "INT[]",
    "INT[3]",
    "STRUCT<a INT, b STRING>",
    "decimal(10,2)",
    "numeric(10, 2)",
    "interval",
    "uint32",
    "int64",
    "float32",
    "float64",
    "IMAGE",
    "image(RGB)",
    "image(RGB, 28, 28)",
    "tensor(float)",
    "tensor(float, 2)",
    "tensor(int, 2, 3)",
    "embedding(float,3)",
]


@pytest.mark.parametrize("name", NAMES)
def test_from_sql_gives_daft_type(name):
    assert repr(DataType.from_sql(name)) == repr(daft.DataType.from_sql(name))


def test_from_sql_strings_are_ketch_strings():
    for name in ("string", "varchar", "text", "char(3)"):
        assert DataType.from_sql(name) == DataType.string()


@pytest.mark.parametrize("name", ["int8", "nonsense", "int) AS x FROM t --", ""])
def test_from_sql_refuses_what_is_not_one_type(name):
    with pytest.raises(InvalidSQLException):
        DataType.from_sql(name)


def test_cast_takes_a_type_name_as_in_daft():
    df = ketch.from_pydict({"a": ["1", "2", "x"]})
    out = df.select(ketch.col("a").cast("int").alias("i"), ketch.col("a").try_cast("double").alias("d"))
    assert out.schema()["i"].dtype == DataType.int32()
    assert out.to_pydict() == {"i": [1, 2, None], "d": [1.0, 2.0, None]}
    ref = daft.from_pydict({"a": ["1", "2", "x"]}).select(daft.col("a").cast("int").alias("i"))
    assert ref.to_pydict()["i"] == out.to_pydict()["i"]
    with pytest.raises(TypeError, match="DataType._infer"):
        DataType._infer(3)


def test_sql_cast_uses_daft_type_names():
    df = ketch.from_pydict({"a": ["1.5", "2"]})
    out = ketch.sql("SELECT CAST(a AS float) AS f, CAST(a AS real) AS r, CAST('2020-01-02' AS timestamp) AS t FROM df")
    schema = out.schema()
    assert schema["f"].dtype == DataType.float64()
    assert schema["r"].dtype == DataType.float32()
    assert repr(schema["t"].dtype) == "Timestamp[us]"
    assert out.to_pydict()["f"] == [1.5, 2.0]
    assert df.to_pydict() == {"a": ["1.5", "2"]}
