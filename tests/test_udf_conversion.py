"""UDF results converted to the declared return type, against daft==0.7.26.

Values Daft converts (``"12"`` for ``int``, ``True`` for ``str``, a Pydantic
model for its struct) give the same values and dtypes in ketch. A non-null
value that cannot be converted is where ketch deliberately differs: Daft
gives null (``"not an int"`` for ``int``) or fails with an internal panic (a
dict for ``int``); ketch raises ``UDFException`` naming the function, the row,
the value's type and the declared type, or makes the value null under
``on_error="log"``/``"ignore"``.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import types
import typing
import warnings
from collections.abc import Iterator

import daft
import pyarrow as pa
import pydantic
import pytest

import ketch

ROWS = 4  # the value goes to row 2; the other rows return None


def _dtype(mod, spec):
    """A return type spec: a Python hint, or a callable building a DataType from the module."""
    return spec(mod.DataType) if isinstance(spec, types.FunctionType) else spec


def _udf(mod, spec, value, *, use_hint: bool, **options):
    """A row-wise UDF returning ``value`` on row 2 and None elsewhere."""

    def bad(i: int):
        return value if i == 2 else None

    if use_hint:
        bad.__annotations__["return"] = spec
        return mod.func(bad, **options) if options else mod.func(bad)
    return mod.func(return_dtype=_dtype(mod, spec), **options)(bad)


def _run(mod, spec, value, *, use_hint: bool, **options):
    f = _udf(mod, spec, value, use_hint=use_hint, **options)
    df = mod.from_pydict({"i": list(range(ROWS))}).select(f(mod.col("i")).alias("r"))
    return df.to_pydict()["r"], str(df.schema()["r"].dtype)


def _daft(spec, value, *, use_hint: bool):
    """Daft's result, or the exception it raises (its panics print a backtrace, harmlessly)."""
    try:
        return _run(daft, spec, value, use_hint=use_hint)
    except Exception as e:
        return e


# --- values Daft converts: the same values and dtypes ----------------------------------------------

HINTED = [
    (int, "12"),
    (int, " 12"),
    (int, "+5"),
    (int, b"12"),
    (int, 1.7),
    (int, -1.7),
    (int, True),
    (int, decimal.Decimal("3.9")),
    (float, "1.5"),
    (float, "1e400"),
    (float, 3),
    (float, True),
    (float, decimal.Decimal("0.1")),
    (str, 12),
    (str, 1.5),
    (str, 1.0),
    (str, 1e20),
    (str, 1e-5),
    (str, 1e-7),
    (str, True),
    (str, b"ab"),
    (str, decimal.Decimal("1.50")),
    (str, datetime.date(2020, 1, 1)),
    (str, datetime.datetime(2020, 1, 2, 3, 4, 5, 120000)),
    (str, datetime.datetime(2020, 1, 2, 3, 4, 5, 6)),
    (str, datetime.time(1, 2, 3)),
    (bool, "true"),
    (bool, "yes"),
    (bool, "0"),
    (bool, 2),
    (bool, 0.0),
    (bool, b"true"),
    (bytes, "ab"),
    (bytes, 12),
    (bytes, 1.5),
    (bytes, True),
    (list[int], [1, "2"]),
    (list[int], (1, 2)),
    (list[int], 5),
    (list[int], {"a": 1, "b": 2}),
    (list[str], "ab"),
    (list[str], [1, True]),
    (dict[str, int], {"a": "2"}),
    (datetime.datetime, "2020-01-02"),
    (datetime.datetime, "2020-01-02 03:04:05"),
    (datetime.datetime, "2020-01-02T03:04:05Z"),
    (datetime.datetime, "2020-01-02T03:04:05+01:00"),
    (datetime.datetime, datetime.date(2020, 1, 1)),
    (datetime.datetime, 5),
    (datetime.date, "2020-01-02"),
    (datetime.date, "2020-1-2"),
    (datetime.date, "2020-01-02T03:04:05"),
    (datetime.date, datetime.datetime(2020, 1, 1, 23, 59)),
    (datetime.date, 5),
    (datetime.time, "01:02:03"),
    (datetime.timedelta, 5),
]


@pytest.mark.parametrize("hint, value", HINTED, ids=repr)
def test_hinted_results_convert_as_daft(hint, value):
    got = _run(ketch, hint, value, use_hint=True)
    assert got == _daft(hint, value, use_hint=True)
    assert got[0][2] is not None


DECLARED = [
    (lambda T: T.int32(), "12"),
    (lambda T: T.int8(), 127.9),
    (lambda T: T.uint8(), -0.5),
    (lambda T: T.float32(), "0.1"),
    (lambda T: T.float32(), 2**30 + 1),
    (lambda T: T.string(), False),
    (lambda T: T.bool(), "off"),
    (lambda T: T.decimal128(10, 2), "1.235"),
    (lambda T: T.decimal128(10, 2), 1.239),
    (lambda T: T.decimal128(10, 2), -1.239),
    (lambda T: T.decimal128(10, 2), 5),
    (lambda T: T.timestamp("us", "UTC"), "2020-01-02T03:04:05"),
    (lambda T: T.list(T.int64()), [1, "2"]),
    (lambda T: T.fixed_size_list(T.int64(), 2), [1, "2"]),
    (lambda T: T.struct({"a": T.int64(), "b": T.string()}), {"a": "1", "b": 2}),
    (lambda T: T.struct({"a": T.int64(), "b": T.string()}), {"a": 1}),
    (lambda T: T.struct({"a": T.int64(), "b": T.string()}), {"a": 1, "c": 3}),
    (lambda T: T.struct({"a": T.int64(), "b": T.string()}), (1, "x")),
    (lambda T: T.struct({"a": T.list(T.int64())}), {"a": [1, "2"]}),
    (lambda T: T.map(T.string(), T.float64()), {"k": 1}),
    (lambda T: T.python(), {"any": "object"}),
]


@pytest.mark.parametrize("case", range(len(DECLARED)))
def test_declared_results_convert_as_daft(case):
    spec, value = DECLARED[case]
    got = _run(ketch, spec, value, use_hint=False)
    assert got == _daft(spec, value, use_hint=False)
    assert got[0][2] is not None


def test_convertible_rows_keep_the_fast_path_results():
    def build(mod):
        @mod.func
        def f(i: int) -> int:
            return i * 3

        return mod.from_pydict({"i": list(range(1000))}).select(f(mod.col("i"))).to_pydict()

    assert build(ketch) == build(daft)


# --- values that cannot be converted: an error naming the UDF, the row, the types ------------------

AB = "Struct[a: Int64, b: String]"
UNCONVERTIBLE = [
    # (spec, use_hint, value, value type, declared type, Daft's result: "null", "inner null" or "error")
    (int, True, "not an int", "str", "Int64", "null"),
    (int, True, "1.5", "str", "Int64", "null"),
    (int, True, {"a": 1}, "dict", "Int64", "error"),
    (int, True, [1, 2], "list", "Int64", "error"),
    (int, True, float("nan"), "float", "Int64", "null"),
    (float, True, "x", "str", "Float64", "null"),
    (str, True, [1, 2], "list", "String", "error"),
    (str, True, b"\xff", "bytes", "String", "null"),
    (bool, True, "maybe", "str", "Bool", "null"),
    (bytes, True, [1, 2], "list", "Binary", "error"),
    (datetime.date, True, "2020/01/02", "str", "Date", "null"),
    (datetime.datetime, True, "x", "str", "Timestamp[us]", "null"),
    (list[int], True, [1, "x"], "list", "List[Int64]", "inner null"),
    (list[int], True, "ab", "str", "List[Int64]", "inner null"),
    (dict[str, int], True, {"a": "x"}, "dict", "Map[String: Int64]", "inner null"),
    (dict[str, int], True, 5, "int", "Map[String: Int64]", "error"),
    (lambda T: T.int8(), False, 300, "int", "Int8", "null"),
    (lambda T: T.uint8(), False, "-1", "str", "UInt8", "null"),
    (lambda T: T.decimal128(10, 2), False, "abc", "str", "Decimal", "null"),
    (lambda T: T.decimal128(10, 2), False, decimal.Decimal("123456789012"), "decimal.Decimal", "Decimal", "null"),
    (lambda T: T.struct({"a": T.int64()}), False, 5, "int", "Struct[a: Int64]", "error"),
    (lambda T: T.struct({"a": T.int64(), "b": T.string()}), False, {"a": "x", "b": "y"}, "dict", AB, "inner null"),
    (lambda T: T.struct({"a": T.int64(), "b": T.string()}), False, (1,), "tuple", AB, "inner null"),
    (lambda T: T.fixed_size_list(T.int64(), 2), False, [1, 2, 3], "list", "Int64", "error"),
]


@pytest.mark.parametrize("case", range(len(UNCONVERTIBLE)))
def test_unconvertible_values_raise_naming_udf_row_and_types(case):
    spec, use_hint, value, value_type, declared, daft_gives = UNCONVERTIBLE[case]
    with pytest.raises(ketch.errors.UDFException) as info:
        _run(ketch, spec, value, use_hint=use_hint)
    message = str(info.value)
    assert isinstance(info.value, ValueError)  # a DaftCoreException, as Daft's UDF errors
    assert ".bad`" in message  # the UDF
    assert "returned a value that cannot be converted" in message and "in a batch of 4 rows" in message
    assert "row 2 (2): " in message  # the row, and the call's arguments
    assert f"of type {value_type}" in message
    assert declared in message
    # Daft: a silent null, or an error (most often an internal panic)
    theirs = _daft(spec, value, use_hint=use_hint)
    if daft_gives == "error":
        assert isinstance(theirs, Exception)
    elif daft_gives == "null":
        assert theirs[0] == [None] * ROWS
    else:
        assert theirs[0][2] is not None and _holds_null(theirs[0][2])


def _holds_null(value) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_holds_null(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_null(v) for v in value)
    return False


def test_nested_failures_say_where():
    with pytest.raises(ketch.errors.UDFException) as info:
        _run(ketch, list[dict[str, int]], [{"a": 1}, {"b": "x"}], use_hint=True)
    assert "(at [1]['b']: 'x' of type str cannot be converted to Int64)" in str(info.value)
    assert "List[Map[String: Int64]]" in str(info.value)


def test_every_failing_row_is_listed():
    @ketch.func
    def parse(s: str) -> int:
        return s

    df = ketch.from_pydict({"s": ["1", "x", None, "3", "y"]})
    with pytest.raises(ketch.errors.UDFException, match=r"returned 2 values .* batch of 5 rows") as info:
        df.select(parse(ketch.col("s"))).collect()
    assert "row 1 ('x'): 'x' of type str" in str(info.value) and "row 4 ('y'): 'y' of type str" in str(info.value)
    assert "row 0" not in str(info.value) and "row 3" not in str(info.value)


@pytest.mark.filterwarnings("ignore:User-defined function")
@pytest.mark.parametrize("on_error", ["ignore", "log"])
def test_on_error_nulls_unconvertible_values(on_error, capsys):
    def build(mod):
        @mod.func(on_error=on_error)
        def parse(s: str) -> int:
            return s

        return mod.from_pydict({"s": ["1", "x", None, "3"]}).select(parse(mod.col("s"))).to_pydict()

    assert build(ketch) == build(daft) == {"s": [1, None, None, 3]}
    err = capsys.readouterr().err
    if on_error == "log":
        assert "parse`: row 1 ('x'): 'x' of type str cannot be converted to Int64" in err


def test_on_error_ignore_reports_the_nulled_rows():
    @ketch.func(on_error="ignore")
    def parse(s: str) -> int:
        return s

    with pytest.warns(UserWarning, match=r"`.*parse` failed on 2 row\(s\)"):
        out = ketch.from_pydict({"s": ["x", "2", "y"]}).select(parse(ketch.col("s"))).to_pydict()
    assert out == {"s": [None, 2, None]}


def test_async_and_generator_functions():
    @ketch.func
    async def slow(i: int) -> int:
        return "x" if i == 1 else str(i)

    @ketch.func
    def spread(i: int) -> Iterator[int]:
        yield i
        yield "nope" if i == 2 else i

    df = ketch.from_pydict({"i": [0, 1, 2]})
    with pytest.raises(ketch.errors.UDFException, match=r"slow` returned a value .*\n  row 1 \(1\): 'x' of type str"):
        df.select(slow(ketch.col("i"))).collect()
    with pytest.raises(ketch.errors.UDFException) as info:
        df.select(spread(ketch.col("i"))).collect()
    assert "row 2 (2): [2, 'nope'] of type list" in str(info.value)
    assert "(at [1]: 'nope' of type str cannot be converted to Int64)" in str(info.value)

    def ok(mod):
        @mod.func
        def spread(i: int) -> Iterator[int]:
            yield str(i)

        return mod.from_pydict({"i": [0, 1]}).select(spread(mod.col("i"))).to_pydict()

    assert ok(ketch) == ok(daft) == {"i": [0, 1]}


@pytest.mark.parametrize("kind", ["list", "arrow", "series"])
def test_batch_results(kind):
    def build(mod, values, **options):
        @mod.func.batch(return_dtype=mod.DataType.int64(), batch_size=2, **options)
        def parse(s):
            chunk = [values[i] for i in s.to_pylist()]
            return {"list": chunk, "arrow": pa.array(chunk), "series": mod.Series.from_pylist(chunk)}[kind]

        return mod.from_pydict({"i": [0, 1, 2, 3]}).select(parse(mod.col("i"))).to_pydict()["i"]

    good = ["1", " 2", None, "4"]
    assert build(ketch, good) == build(daft, good) == [1, 2, None, 4]
    bad = ["1", "2", "3", "x"]  # batches of two: the second row of the second batch, whose input is 3
    with pytest.raises(ketch.errors.UDFException, match=r"parse` returned a value .*\n  row 1 \(3\): 'x' of type str"):
        build(ketch, bad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        # Daft nulls the value; ketch too under on_error, and only that value
        assert build(ketch, bad, on_error="ignore") == build(daft, bad) == [1, 2, 3, None]


def test_batch_arrays_cast_as_daft():
    def build(mod, array, dtype):
        @mod.func.batch(return_dtype=dtype(mod.DataType))
        def f(s):
            return array

        return mod.from_pydict({"i": [0, 1, 2]}).select(f(mod.col("i"))).to_pydict()["i"]

    for array, dtype in [
        (pa.array([1.7, 2.0, None]), lambda T: T.int64()),
        (pa.array([1.0, 1e20, 0.1]), lambda T: T.string()),
        (pa.array([True, False, None]), lambda T: T.string()),
        (pa.array(["yes", "0", None]), lambda T: T.bool()),
    ]:
        assert build(ketch, array, dtype) == build(daft, array, dtype)
    with pytest.raises(ketch.errors.UDFException, match=r"row 1 \(1\): 300 of type int cannot be converted to Int8"):
        build(ketch, pa.array([1, 300, None]), lambda T: T.int8())
    assert build(daft, pa.array([1, 300, None]), lambda T: T.int8()) == [1, None, None]


def test_legacy_udf_and_apply():
    def build(mod, values):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)

            @mod.udf(return_dtype=mod.DataType.int64())
            def parse(s):
                return [values[i] for i in s.to_pylist()]

        df = mod.from_pydict({"i": [0, 1, 2]})
        return df.select(
            parse(mod.col("i")).alias("p"),  # (Daft mixes up a sibling that shadows its input)
            mod.col("i").apply(lambda i: None if i is None else values[i], mod.DataType.int64()).alias("a"),
        )

    assert build(ketch, ["1", "2", None]).to_pydict() == build(daft, ["1", "2", None]).to_pydict()
    with pytest.raises(ketch.errors.UDFException, match=r"parse` returned a value .*\n  row 1 \(1\): 'x' of type str"):
        build(ketch, ["1", "x", None]).collect()


def test_worker_processes_raise_the_same_error():
    @ketch.func(use_process=True)
    def parse(s: str) -> int:
        return s

    with pytest.raises(ketch.errors.UDFException, match=r"row 1 \('x'\): 'x' of type str cannot be converted to Int64"):
        ketch.from_pydict({"s": ["1", "x"]}).select(parse(ketch.col("s"))).collect()


# --- Pydantic models and dataclasses ----------------------------------------------------------------


class Inner(pydantic.BaseModel):
    x: int
    y: str | None = None


class Outer(pydantic.BaseModel):
    b: str
    a: int
    inner: Inner
    tags: list[str] = []
    scores: dict[str, float] = {}


class Aliased(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(serialize_by_alias=True, populate_by_name=True)
    the_x: int = pydantic.Field(alias="theX")
    y: int = pydantic.Field(serialization_alias="why", default=3)

    @pydantic.computed_field
    @property
    def double(self) -> int:
        return self.the_x * 2


def _outer(i):
    return Outer(b=str(i), a=i, inner=Inner(x=i * 10), tags=["t"] * i, scores={"s": i / 2})


def _both(build):
    got = build(ketch)
    want = build(daft)
    assert got == want
    return got


def _frame(mod, f):
    df = mod.from_pydict({"i": [0, 1, 2]}).select(f(mod.col("i")).alias("r"))
    return df.to_pydict()["r"], str(df.schema()["r"].dtype)


def test_pydantic_model_hint_gives_its_struct():
    def build(mod):
        @mod.func
        def f(i: int) -> Outer:
            return _outer(i)

        return _frame(mod, f)

    values, dtype = _both(build)
    assert dtype == (
        "Struct[b: String, a: Int64, inner: Struct[x: Int64, y: String], tags: List[String], "
        "scores: Map[String: Float64]]"
    )
    assert values[1]["inner"] == {"x": 10, "y": None}


def test_pydantic_optional_list_aliases_and_computed_fields():
    def build(mod):
        @mod.func
        def maybe(i: int) -> Outer | None:
            return None if i == 1 else _outer(i)

        @mod.func
        def many(i: int) -> list[Inner]:
            return [Inner(x=i), Inner(x=i + 1, y="z")]

        @mod.func
        def alias(i: int) -> Aliased:
            return Aliased(the_x=i)

        return [_frame(mod, f) for f in (maybe, many, alias)]

    out = _both(build)
    assert out[2] == (
        [{"theX": i, "why": 3, "double": 2 * i} for i in range(3)],
        "Struct[theX: Int64, why: Int64, double: Int64]",
    )


def test_pydantic_model_with_a_declared_struct():
    def build(mod):
        T = mod.DataType

        @mod.func(return_dtype=T.struct({"a": T.int64(), "b": T.string(), "inner": T.struct({"x": T.string()})}))
        def subset(i):
            return _outer(i)  # other fields ignored, nested fields converted (10 -> "10")

        return _frame(mod, subset)

    assert _both(build)[0][1] == {"a": 1, "b": "1", "inner": {"x": "10"}}


def test_pydantic_models_from_methods_batches_and_generators():
    def build(mod):
        @mod.cls
        class Models:
            def __init__(self, k: int = 1):
                self.k = k

            @mod.method
            def outer(self, i: int) -> Outer:
                return _outer(i * self.k)

            @mod.method(return_dtype=mod.DataType.struct({"x": mod.DataType.int64(), "y": mod.DataType.string()}))
            def inner(self, i):
                return Inner(x=i, y="k")

        @mod.func.batch(return_dtype=mod.DataType.struct({"x": mod.DataType.int64(), "y": mod.DataType.string()}))
        def batch(i):
            return [Inner(x=v, y="b") for v in i.to_pylist()]

        @mod.func
        def gen(i: int) -> Iterator[Inner]:
            yield Inner(x=i)
            yield Inner(x=i, y="g")

        m = Models(2)
        df = mod.from_pydict({"i": [0, 1, 2]})
        return (
            df.select(
                m.outer(mod.col("i")).alias("o"), m.inner(mod.col("i")).alias("n"), batch(mod.col("i")).alias("b")
            ).to_pydict(),
            df.select(gen(mod.col("i"))).to_pydict(),
        )

    out = _both(build)
    assert out[0]["o"][2]["a"] == 4 and out[0]["n"][1] == {"x": 1, "y": "k"}


def test_pydantic_field_that_cannot_convert():
    T = ketch.DataType

    @ketch.func(return_dtype=T.struct({"a": T.string(), "inner": T.struct({"y": T.int64()})}))
    def f(i):
        return Outer(b="b", a=i, inner=Inner(x=i, y="seven" if i == 1 else str(i)))

    with pytest.raises(ketch.errors.UDFException) as info:
        _frame(ketch, f)
    text = str(info.value)
    assert "returned a value" in text and "in a batch of 3 rows" in text
    assert "row 1 (1): Outer(" in text and "of type test_udf_conversion.Outer" in text
    assert "(at .inner.y: 'seven' of type str cannot be converted to Int64)" in text


@dataclasses.dataclass
class Point:
    x: int
    label: str


@dataclasses.dataclass
class Shape:
    name: str
    corner: Point
    points: list[Point]


def test_dataclass_with_a_declared_struct_converts():
    """Daft 0.7.26 fails ("Python object could not be casted"); ketch gives the struct."""
    T = ketch.DataType
    point = T.struct({"x": T.int64(), "label": T.string()})

    def make(i):
        return Shape(f"s{i}", Point(i, "c"), [Point(i, "p"), Point(i + 1, "q")])

    shape = ketch.func(return_dtype=T.struct({"name": T.string(), "corner": point, "points": T.list(point)}))(make)
    values, dtype = _frame(ketch, shape)
    assert values[1] == {
        "name": "s1",
        "corner": {"x": 1, "label": "c"},
        "points": [{"x": 1, "label": "p"}, {"x": 2, "label": "q"}],
    }
    with pytest.raises(Exception, match="could not be casted"):
        D = daft.DataType
        dpoint = D.struct({"x": D.int64(), "label": D.string()})
        _frame(daft, daft.func(return_dtype=D.struct({"name": D.string(), "corner": dpoint}))(make))


def test_dataclass_hint_holds_python_objects_as_daft():
    def build(mod):
        @mod.func
        def f(i: int) -> Point:
            return Point(i, "p")

        return _frame(mod, f)

    assert _both(build) == ([Point(0, "p"), Point(1, "p"), Point(2, "p")], "Python")


class Pair(typing.TypedDict):
    b: str
    a: int


def test_typed_dict_and_tuple_hints():
    def build(mod):
        @mod.func
        def pair(i: int) -> Pair:
            return {"a": str(i), "b": i}

        @mod.func
        def tup(i: int) -> tuple[int, str]:
            return (str(i), i)

        return [_frame(mod, f) for f in (pair, tup)]

    _both(build)
