"""Each user mistake raises the exception class Daft raises, with a message that
names the thing and what to change."""

from __future__ import annotations

import pytest

import ketch
from ketch import DataType, col
from ketch.exceptions import APITypeError, DaftCoreException


@pytest.fixture
def df():
    return ketch.from_pydict({"a": [1, 2], "b": ["x", "y"]})


def test_unknown_column_lists_available_names(df):
    for build in (
        lambda: df.select(col("zz")),
        lambda: df.where(col("zz") > 1),
        lambda: df.sort("zz"),
        lambda: df.groupby("zz").agg(col("a").sum()),
        lambda: df.with_column("c", col("zz") + 1),
    ):
        with pytest.raises(DaftCoreException, match=r"Column 'zz' not found\. Available columns: a, b"):
            build()
    assert issubclass(DaftCoreException, ValueError)


def test_type_mismatch_names_both_types(df):
    # Daft's messages (daft==0.7.26): its type names, both operands.
    with pytest.raises(DaftCoreException, match=r"Cannot subtract types: Int64, String"):
        df.select(col("a") - col("b"))
    with pytest.raises(DaftCoreException, match=r"Cannot divide types: Int64, String"):
        df.select(col("a") / col("b"))
    with pytest.raises(DaftCoreException, match="Boolean"):
        df.where(col("a"))


def test_aggregation_outside_agg_is_rejected(df):
    # As in Daft, a select of aggregations only is a global aggregation; mixed with columns it is an error.
    assert df.select(col("a").sum()).to_pydict() == {"a": [sum(v for v in df.to_pydict()["a"] if v is not None)]}
    with pytest.raises(DaftCoreException, match=r"sum\(col\(a\)\) is not allowed in select\(\)"):
        df.select(col("a").sum(), col("a").alias("b"))
    with pytest.raises(DaftCoreException, match="not allowed in where"):
        df.where(col("a").sum() > 1)


def test_path_matching_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="No files found"):
        ketch.read_parquet(str(tmp_path / "*.parquet"))
    with pytest.raises(FileNotFoundError):
        ketch.read_parquet(str(tmp_path / "no" / "such.parquet"))


def test_corrupt_parquet(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 but not really a parquet file at all")
    with pytest.raises(DaftCoreException, match="(?i)parquet"):
        ketch.read_parquet(str(bad)).collect()


def test_wrong_argument_types(df):
    with pytest.raises(APITypeError, match="DataFrame.select received wrong input type"):
        df.select(123)
    with pytest.raises(APITypeError, match="num = <str>"):
        df.limit("a")
    with pytest.raises(TypeError):
        df.join("not a dataframe", on="a")
    with pytest.raises(TypeError):
        col(3)
    with pytest.raises(TypeError):
        DataType.list("int")
    with pytest.raises(TypeError):
        ketch.read_parquet(42)


def test_bad_values(df):
    with pytest.raises(ValueError, match="limit"):
        df.limit(-1)
    with pytest.raises(ValueError, match="join type"):
        df.join(df, on="a", how="diagonal")
    with pytest.raises(ValueError, match="single ASCII character"):
        ketch.read_csv(__file__, delimiter=";;")
    with pytest.raises(DaftCoreException, match="Duplicate output column name 'a'"):
        df.select(col("a"), col("a") + 1)
