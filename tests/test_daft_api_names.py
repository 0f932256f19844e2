"""Daft names Daft's own tests import: ``daft.interval``,
``daft.errors.ExpressionTypeError``, ``daft.datatype.DataTypeLike``; values
compared with daft==0.7.26."""

from __future__ import annotations

import datetime

import daft
import pytest

import ketch
from ketch.datatype import DataTypeLike
from ketch.errors import ExpressionTypeError


def _shifted(mod):
    df = mod.from_pydict(
        {"t": [datetime.datetime(2020, 1, 31, 1, 2, 3)], "d": [datetime.date(2020, 1, 31)]},
    )
    return df.select(
        (mod.col("t") + mod.interval(hours=1, millis=5)).alias("t2"),
        (mod.col("d") + mod.interval(months=1)).alias("d2"),
        (mod.col("t") - mod.interval(years=1, days=1, nanos=1000)).alias("t3"),
    ).to_pydict()


def test_interval_arithmetic_matches_daft():
    assert _shifted(ketch) == _shifted(daft)
    value = ketch.from_pydict({"a": [1]}).select(ketch.interval(months=14, days=-2, seconds=1).alias("i"))
    assert repr(value.schema()["i"].dtype) == "Interval"
    [v] = value.to_pydict()["i"]
    assert (v.months, v.days, v.nanoseconds) == (14, -2, 1_000_000_000)
    with pytest.raises(TypeError, match="days"):
        ketch.interval(days=1.5)


def test_groupby_a_null_column_raises_expression_type_error():
    df = ketch.from_pydict({"group": [None, None], "x": [1, 2]})
    with pytest.raises(ExpressionTypeError, match="Cannot groupby on null type expression"):
        df.groupby(ketch.col("group"))
    with pytest.raises(daft.errors.ExpressionTypeError):
        daft.from_pydict({"group": [None, None], "x": [1, 2]}).groupby(daft.col("group"))


def test_datatype_like_names_what_cast_takes():
    df = ketch.from_pydict({"a": ["1"]})
    for t in (ketch.DataType.int32(), "int", int):
        assert isinstance(t, DataTypeLike)
        assert df.select(ketch.col("a").cast(t)).to_pydict()["a"][0] == 1


def test_concat_as_daft():
    def run(mod):
        a = mod.from_pydict({"a": [1, 2], "b": ["x", "y"]})
        b = mod.from_pydict({"a": [3], "b": ["z"]}).where(mod.col("a") > 0)
        return mod.concat([a, b, a]).to_pydict()

    assert run(ketch) == run(daft)
    with pytest.raises(ValueError, match="at least one"):
        ketch.concat([])
    with pytest.raises(ValueError, match="index 1 has a different schema"):
        ketch.concat([ketch.from_pydict({"a": [1]}), ketch.from_pydict({"a": ["x"]})])
    with pytest.raises(TypeError, match="DataFrame"):
        ketch.concat([ketch.from_pydict({"a": [1]}), 3])
