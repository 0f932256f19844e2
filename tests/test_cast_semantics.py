"""``Expression.cast`` against daft==0.7.26 itself: which values become null.

Daft's ``cast`` turns a value that does not convert into null (a string that
does not parse, a number out of range, NaN to an integer, an overflowing
decimal, bytes that are not UTF-8), and raises only where a value has the
wrong size for a fixed-size target or the types do not convert at all. Each
case casts one value (and a null) in ketch and in Daft: values and dtypes must
match, and where Daft raises ketch raises the same exception class.
``DIFFERENCES`` lists the deliberate departures with the reason and ketch's
values.
"""

from __future__ import annotations

import datetime
import decimal
import math

import daft
import pytest

import ketch

D = decimal.Decimal
NAN, INF = float("nan"), float("inf")

# (source -> target, target dtype (from the module's DataType), values): every
# value is cast on its own, in a column with a null after it.
CASES = [
    ("str->int8", lambda T: T.int8(), ["12", "abc", "300"]),
    ("str->int32", lambda T: T.int32(), ["12", "abc"]),
    ("str->int64", lambda T: T.int64(), ["12", " 12 ", "+12", "-12", "1e3", "12.5", "abc", "", "99999999999999999999"]),
    ("str->uint8", lambda T: T.uint8(), ["12", "-1", "300", "abc"]),
    ("str->float32", lambda T: T.float32(), ["1.5", "abc", "1e50", "inf"]),
    ("str->float64", lambda T: T.float64(), ["1.5", " 1.5 ", "1e3", "-inf", "abc", ""]),
    ("str->bool", lambda T: T.bool(), ["true", "False", "1", "0", "yes", "t", "abc"]),
    (
        "str->date",
        lambda T: T.date(),
        ["2024-01-02", "2024-1-2", "2024-01-02T03:04:05", " 2024-01-02", "abc", "2024-13-01", "2024/01/02"],
    ),
    (
        "str->timestamp[us]",
        lambda T: T.timestamp("us"),
        ["2024-01-02 03:04:05", "2024-01-02T03:04:05", "2024-01-02", "abc"],
    ),
    (
        "str->decimal(10,2)",
        lambda T: T.decimal128(10, 2),
        ["12.34", "12.3", "12.345", "-12.345", "1e2", "abc", "123456789012"],
    ),
    ("str->time[us]", lambda T: T.time("us"), ["03:04:05", "abc", "25:00:00"]),
    ("f64->int64", lambda T: T.int64(), [1.7, -1.5, NAN, INF, 1e20]),
    ("f64->int32", lambda T: T.int32(), [1.7, NAN, 1e20, 3e9]),
    ("f64->uint8", lambda T: T.uint8(), [1.7, -1.5, 300.0, NAN]),
    ("i64->int8", lambda T: T.int8(), [12, 300, -1]),
    ("i64->uint8", lambda T: T.uint8(), [12, 300, -1]),
    ("i64->int32", lambda T: T.int32(), [12, 2**40]),
    ("i64->uint64", lambda T: T.uint64(), [12, -1]),
    ("i64->bool", lambda T: T.bool(), [0, 1, 2, -1]),
    ("f64->decimal(10,2)", lambda T: T.decimal128(10, 2), [1.25, 1e20, NAN]),
    ("i64->decimal(5,2)", lambda T: T.decimal128(5, 2), [12, 100000]),
    ("decimal->decimal(5,2)", lambda T: T.decimal128(5, 2), [D("12.34"), D("12345678.90")]),
    ("decimal->int8", lambda T: T.int8(), [D("12.34"), D("12345678.90")]),
    ("date->timestamp[us]", lambda T: T.timestamp("us"), [datetime.date(2024, 1, 2)]),
    ("date->timestamp[ns]", lambda T: T.timestamp("ns"), [datetime.date(2024, 1, 2), datetime.date(9999, 1, 1)]),
    ("timestamp[us]->date", lambda T: T.date(), [datetime.datetime(2024, 1, 2, 3, 4, 5)]),
    (
        "timestamp[us]->timestamp[ns]",
        lambda T: T.timestamp("ns"),
        [datetime.datetime(2024, 1, 2), datetime.datetime(9999, 1, 1)],
    ),
    ("i64->date", lambda T: T.date(), [0, 19000, 2**40]),
    ("i64->timestamp[us]", lambda T: T.timestamp("us"), [0, 1_700_000_000_000_000]),
    ("str->binary", lambda T: T.binary(), ["abc", "é"]),
    ("binary->str", lambda T: T.string(), [b"abc", b"\xff\xfe"]),
    ("list<str>->list<int64>", lambda T: T.list(T.int64()), [["1", "abc"]]),
    ("list<int64>->list<int8>", lambda T: T.list(T.int8()), [[1, 300]]),
    ("struct<str>->struct<int64>", lambda T: T.struct({"a": T.int64()}), [{"a": "1"}, {"a": "abc"}]),
    ("list<str>->fixed_size_list<int64,2>", lambda T: T.fixed_size_list(T.int64(), 2), [["1", "abc"]]),
    ("binary->fixed_size_binary(2)", lambda T: T.fixed_size_binary(2), [b"ab"]),
    ("list->fixed_size_list<int64,2>", lambda T: T.fixed_size_list(T.int64(), 2), [[1, 2]]),
    ("str->fixed_size_binary(2)", lambda T: T.fixed_size_binary(2), ["ab"]),
    ("list->str", lambda T: T.string(), [[1, 2]]),
    ("date->str", lambda T: T.string(), [datetime.date(2024, 1, 2)]),
    ("timestamp[us]->str", lambda T: T.string(), [datetime.datetime(2024, 1, 2, 3, 4, 5)]),
    ("str->duration[us]", lambda T: T.duration("us"), ["1", "abc"]),
    ("str->null", lambda T: T.null(), ["abc"]),
    ("bool->date", lambda T: T.date(), [True]),
    ("binary->int64", lambda T: T.int64(), [b"12"]),
    ("i64->binary", lambda T: T.binary(), [12]),
]

# Where Daft raises: (id, target dtype, values, the exception class's name in
# daft.exceptions and ketch.exceptions).
RAISES = [
    ("binary->fixed_size_binary(2) of 3 bytes", lambda T: T.fixed_size_binary(2), [b"ab", b"abc"], "DaftCoreException"),
    (
        "list->fixed_size_list<int64,2> of 1 item",
        lambda T: T.fixed_size_list(T.int64(), 2),
        [[1, 2], [1]],
        "DaftCoreException",
    ),
    ("struct->str", lambda T: T.string(), [{"a": 1}], "DaftCoreException"),
    ("date->time", lambda T: T.time("us"), [datetime.date(2024, 1, 2)], "DaftCoreException"),
    ("date->bool", lambda T: T.bool(), [datetime.date(2024, 1, 2)], "DaftCoreException"),
]

# Where ketch departs from Daft: case id -> (reason, ketch's values, or the
# exception class ketch raises). None is about a value that fails to convert
# becoming null where Daft gives null; most are Daft's own conversions that
# Arrow's cast kernel does not have (or formats differently).
ERR = ketch.exceptions.DaftCoreException
DIFFERENCES: dict[str, tuple[str, object]] = {
    "str->date[' 2024-01-02']": ("Daft trims spaces around a date; Arrow's parser does not (null)", [None, None]),
    "date->timestamp[ns][datetime.date(9999, 1, 1)]": (
        "out of the nanosecond range: Daft wraps around (to 1815), ketch gives null",
        [None, None],
    ),
    "timestamp[us]->timestamp[ns][datetime.datetime(9999, 1, 1, 0, 0)]": (
        "out of the nanosecond range: Daft wraps around (to 1815), ketch gives null",
        [None, None],
    ),
    "list<str>->fixed_size_list<int64,2>[['1', 'abc']]": (
        "a cast to a fixed-size list is strict (Daft raises on a list of another length), so an element "
        "that does not convert raises too, where Daft makes that element null",
        ERR,
    ),
    "str->fixed_size_binary(2)['ab']": ("Arrow casts only binary to fixed_size_binary (Daft goes through binary)", ERR),
    "list->str[[1, 2]]": ("Daft 0.7.26 panics (not implemented); Arrow formats the list", ["[1, 2]", None]),
    "date->str[datetime.date(2024, 1, 2)]": ("Daft does not zero-pad month and day", ["2024-01-02", None]),
    "timestamp[us]->str[datetime.datetime(2024, 1, 2, 3, 4, 5)]": (
        "Arrow writes ISO 8601 with a 'T'; Daft a space",
        ["2024-01-02T03:04:05", None],
    ),
    "str->duration[us]['1']": ("Arrow has no string -> duration cast; Daft parses an integer", ERR),
    "str->duration[us]['abc']": ("Arrow has no string -> duration cast; Daft parses an integer", ERR),
    "str->null['abc']": ("Arrow casts only null to null; Daft gives nulls", ERR),
    "bool->date[True]": ("Arrow has no bool -> date cast; Daft takes the bool as a day number", ERR),
    "binary->int64[b'12']": ("Arrow has no binary -> integer cast; Daft parses the bytes as text", ERR),
    "i64->binary[12]": (
        "Arrow writes the little-endian bytes; Daft the decimal text (b'12')",
        [b"\x0c" + b"\x00" * 7, None],
    ),
}


def _case_id(pair: str, value) -> str:
    return f"{pair}[{value!r}]"


VALUE_CASES = [pytest.param(pair, dtype, v, id=_case_id(pair, v)) for pair, dtype, values in CASES for v in values]


def _run(mod, values, dtype, method="cast"):
    df = mod.from_pydict({"x": values}).select(getattr(mod.col("x"), method)(dtype(mod.DataType)))
    return df.to_pydict()["x"], str(df.schema()["x"].dtype)


def _same(a, b) -> bool:
    # ketch's to_pydict gives pandas Timestamps for nanosecond timestamps, Daft datetimes
    a, b = (x.to_pydatetime() if hasattr(x, "to_pydatetime") else x for x in (a, b))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("pair, dtype, value", VALUE_CASES)
def test_cast_matches_daft(pair, dtype, value):
    cid = _case_id(pair, value)
    if cid in DIFFERENCES:
        reason, values = DIFFERENCES[cid]
        if isinstance(values, type):
            with pytest.raises(values):
                _run(ketch, [value, None], dtype)
        else:
            assert _same(_run(ketch, [value, None], dtype)[0], values), reason
        return
    got = _run(ketch, [value, None], dtype)
    want = _run(daft, [value, None], dtype)
    assert got[1] == want[1], f"dtype: ketch {got[1]}, Daft {want[1]}"
    assert _same(got[0], want[0]), f"values: ketch {got[0]}, Daft {want[0]}"


@pytest.mark.parametrize("cid", sorted(DIFFERENCES))
def test_differences_are_real(cid):
    """Each listed departure still departs: Daft raises where ketch gives values, or gives other values."""
    pair, dtype, value = next(p.values for p in VALUE_CASES if p.id == cid)
    try:
        want = _run(daft, [value, None], dtype)[0]
    except Exception:
        assert not isinstance(DIFFERENCES[cid][1], type), "both raise: not a difference"
        return
    assert isinstance(DIFFERENCES[cid][1], type) or not _same(DIFFERENCES[cid][1], want)


@pytest.mark.parametrize("pair, dtype, value", VALUE_CASES)
def test_try_cast_gives_the_same_values(pair, dtype, value):
    """Where ``cast`` gives a value or null, ``try_cast`` gives the same."""
    if isinstance(DIFFERENCES.get(_case_id(pair, value), (None, None))[1], type):
        return
    got = _run(ketch, [value, None], dtype, "try_cast")
    want = _run(ketch, [value, None], dtype)
    assert got[1] == want[1]
    assert _same(got[0], want[0])


@pytest.mark.parametrize("pair, dtype, values, error", [pytest.param(*c, id=c[0]) for c in RAISES])
def test_cast_raises_where_daft_raises(pair, dtype, values, error):
    with pytest.raises(getattr(daft.exceptions, error)):
        _run(daft, values, dtype)
    with pytest.raises(getattr(ketch.exceptions, error)):
        _run(ketch, values, dtype)


def test_try_cast_nulls_what_cast_rejects():
    """``try_cast`` stays null on failure where ``cast`` raises, as in Daft."""
    for mod in (daft, ketch):
        assert _run(mod, [b"ab", b"abc"], lambda T: T.fixed_size_binary(2), "try_cast")[0] == [b"ab", None]
        assert _run(mod, [[1, 2], [1]], lambda T: T.fixed_size_list(T.int64(), 2), "try_cast")[0] == [[1, 2], None]


def test_literal_cast():
    for mod in (daft, ketch):
        df = mod.from_pydict({"a": [1]})
        got = df.select(
            mod.lit("abc").cast(mod.DataType.int64()).alias("s"), mod.lit(300).cast(mod.DataType.int8()).alias("i")
        )
        assert got.to_pydict() == {"s": [None], "i": [None]}, mod.__name__


def test_filter_on_failed_cast():
    for mod in (daft, ketch):
        df = mod.from_pydict({"x": ["1", "abc", "3"]})
        assert df.where(mod.col("x").cast(mod.DataType.int64()) > 1).to_pydict() == {"x": ["3"]}, mod.__name__


def test_series_cast():
    for mod in (daft, ketch):
        s = mod.Series.from_pylist(["12", "abc", None]).cast(mod.DataType.int64())
        assert s.to_pylist() == [12, None, None], mod.__name__
        s = mod.Series.from_pylist([1.5, NAN, 300.0]).cast(mod.DataType.uint8())
        assert s.to_pylist() == [1, None, None], mod.__name__


def test_sql_cast_gives_null_like_daft():
    for mod in (daft, ketch):
        df = mod.from_pydict({"x": ["12", "abc", None]})  # noqa: F841 - referenced by name in SQL
        got = mod.sql("SELECT CAST(x AS INT) AS y, x::bigint AS z FROM df").to_pydict()
        assert got == {"y": [12, None, None], "z": [12, None, None]}, mod.__name__
        # Unaliased, the column keeps Daft's name.
        assert mod.sql("SELECT CAST(x AS INT) FROM df").column_names == ["x"], mod.__name__


def test_sql_create_table_as_casts_as_select_does():
    # (Daft 0.7.26 has no CREATE TABLE AS; ketch's casts as its SELECT does)
    sess = ketch.Session()
    sess.create_temp_table("df", ketch.from_pydict({"x": ["12", "abc", None]}))
    sess.sql("CREATE TEMP TABLE c AS SELECT CAST(x AS INT) AS y FROM df")
    assert sess.sql("SELECT y FROM c").to_pydict() == {"y": [12, None, None]}


def test_sql_typed_literals_stay_strict():
    """A typed literal that does not parse is the query's mistake, not data: an error (as in DataFusion)."""
    with pytest.raises(ketch.exceptions.DaftCoreException):
        ketch.sql("SELECT DATE '2020-13-45' AS d").collect()
