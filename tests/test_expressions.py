from __future__ import annotations

import datetime
import decimal
import math

import pytest

import ketch
from ketch import DataType, col, lit
from ketch.functions import when


@pytest.fixture
def df():
    return ketch.from_pydict(
        {"a": [-7, 7, None, 0], "b": [2, 3, 4, None], "f": [1.5, -2.25, None, 0.0], "s": ["x", "yy", None, ""]}
    )


def values(df, expr):
    out = df.select(expr.alias("out")).to_pydict()["out"]
    return out


def test_arithmetic_matches_python(df):
    a, b = [-7, 7, None, 0], [2, 3, 4, None]

    def ref(op):
        return [None if x is None or y is None else op(x, y) for x, y in zip(a, b)]

    assert values(df, col("a") + col("b")) == ref(lambda x, y: x + y)
    assert values(df, col("a") - col("b")) == ref(lambda x, y: x - y)
    assert values(df, col("a") * col("b")) == ref(lambda x, y: x * y)
    assert values(df, col("a") / col("b")) == ref(lambda x, y: x / y)
    # Daft's // and % on integers truncate toward zero (as Rust and SQL do).
    assert values(df, col("a") // col("b")) == ref(lambda x, y: int(x / y))
    assert values(df, col("a") % col("b")) == ref(lambda x, y: int(math.fmod(x, y)))


def test_true_division_dtype_is_float64(df):
    out = df.select((col("a") / 2).alias("h"))
    assert out.schema()["h"].dtype == DataType.float64()
    assert out.to_pydict()["h"] == [-3.5, 3.5, None, 0.0]
    assert values(df, col("f") // 1) == [1.0, -3.0, None, 0.0]


def test_reflected_operators(df):
    assert values(df, 10 - col("b")) == [8, 7, 6, None]
    assert values(df, 2 * col("b")) == [4, 6, 8, None]
    assert values(df, 12 / col("b")) == [6.0, 4.0, 3.0, None]
    assert values(df, 1 + col("b")) == [3, 4, 5, None]


def test_comparisons(df):
    assert values(df, col("a") > 0) == [False, True, None, False]
    assert values(df, col("a") >= 0) == [False, True, None, True]
    assert values(df, col("a") < col("b")) == [True, False, None, None]
    assert values(df, col("a") <= 7) == [True, True, None, True]
    assert values(df, col("a") == 7) == [False, True, None, False]
    assert values(df, col("a") != 7) == [True, False, None, True]


def test_boolean_logic_with_nulls():
    df = ketch.from_pydict({"p": [True, True, False, None], "q": [True, None, None, False]})
    assert values(df, col("p") & col("q")) == [True, None, False, False]
    assert values(df, col("p") | col("q")) == [True, True, None, None]
    assert values(df, col("p") ^ col("q")) == [False, None, None, None]
    assert values(df, ~col("p")) == [False, False, True, None]


def test_integer_xor_is_bitwise():
    df = ketch.from_pydict({"x": [5, 12], "y": [3, 10]})
    assert values(df, col("x") ^ col("y")) == [5 ^ 3, 12 ^ 10]


def test_negation_abs_round_floor_ceil(df):
    assert values(df, -col("a")) == [7, -7, None, 0]
    assert values(df, col("a").abs()) == [7, 7, None, 0]
    assert values(df, abs(col("f"))) == [1.5, 2.25, None, 0.0]
    assert values(df, col("f").floor()) == [1.0, -3.0, None, 0.0]
    assert values(df, col("f").ceil()) == [2.0, -2.0, None, 0.0]
    g = ketch.from_pydict({"v": [1.234, 2.345, -1.5]})
    assert values(g, col("v").round(1)) == [1.2, 2.3, -1.5]
    # Daft: ceil/floor keep integer types, round gives Float64.
    out = df.select(col("a").ceil(), col("b").floor(), col("a").round().alias("r"))
    assert [repr(f.dtype) for f in out.schema()] == ["Int64", "Int64", "Float64"]
    assert out.to_pydict() == {"a": [-7, 7, None, 0], "b": [2, 3, 4, None], "r": [-7.0, 7.0, None, 0.0]}


def test_null_predicates_and_fill(df):
    assert values(df, col("a").is_null()) == [False, False, True, False]
    assert values(df, col("a").not_null()) == [True, True, False, True]
    assert values(df, col("a").fill_null(100)) == [-7, 7, 100, 0]
    out = df.select(col("s").fill_null("?"))
    assert out.column_names == ["s"]
    assert out.to_pydict()["s"] == ["x", "yy", "?", ""]


def test_is_in_and_between(df):
    assert values(df, col("a").is_in([7, 0])) == [False, True, None, True]
    assert values(df, col("a").between(-7, 0)) == [True, False, None, True]


def test_if_else_and_when(df):
    assert values(df, (col("a") > 0).if_else("pos", "non-pos")) == ["non-pos", "pos", "non-pos", "non-pos"]
    e = when(col("a") > 0, lit("pos")).when(col("a") < 0, lit("neg")).otherwise(lit("zero"))
    assert values(df, e) == ["neg", "pos", "zero", "zero"]
    assert values(df, when(col("a") > 0, 1)) == [None, 1, None, None]


def test_cast_and_try_cast():
    df = ketch.from_pydict({"s": ["1", "2", "x"], "i": [1, 2, 3]})
    assert values(df, col("i").cast(DataType.string())) == ["1", "2", "3"]
    assert values(df, col("s").try_cast(DataType.int64())) == [1, 2, None]
    # Daft's cast: a value that does not convert is null (tests/test_cast_semantics.py has every pair).
    assert values(df, col("s").cast(DataType.int64())) == [1, 2, None]


@pytest.mark.parametrize(
    "value, dtype",
    [
        (3, "Int64"),
        (3.5, "Float64"),
        ("s", "String"),
        (True, "Bool"),
        (None, "Null"),
        (datetime.date(2020, 1, 2), "Date"),
        (datetime.datetime(2020, 1, 2, 3), "Timestamp[us]"),
        (datetime.time(1, 2), "Time[us]"),
        (datetime.timedelta(days=1), "Duration[us]"),
        (decimal.Decimal("1.25"), "Decimal[precision: 38, scale: 2]"),
        (b"ab", "Binary"),
        ([1, 2], "List[Int64]"),
    ],
)
def test_literal_types_and_values(value, dtype):
    out = ketch.from_pydict({"x": [0]}).select(lit(value).alias("v"))
    assert repr(out.schema()["v"].dtype) == dtype
    assert out.to_pydict()["v"] == [value]


def test_names_follow_daft_rules():
    df = ketch.from_pydict({"a": [1], "b": [2]})
    assert df.select(col("a") + col("b")).column_names == ["a"]
    assert df.select(lit(1) + col("b")).column_names == ["literal"]
    assert df.select((col("a") * 2).alias("x"), col("b").is_null()).column_names == ["x", "b"]
    assert repr(col("a") + 1) == "col(a) + lit(1)"
    assert repr((col("a") + 1).alias("x")) == "col(a) + lit(1) as x"
    assert (col("a") * col("b")).name() == "a"


def test_expression_has_no_truth_value():
    with pytest.raises(TypeError):
        bool(col("a") > 1)


def test_string_concat_with_plus():
    df = ketch.from_pydict({"s": ["a", None], "t": ["b", "c"]})
    assert values(df, col("s") + col("t")) == ["ab", None]
