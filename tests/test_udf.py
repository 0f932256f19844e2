"""Python UDFs against daft==0.7.26: each case defines the same UDF with
``ketch`` and with ``daft`` and compares values and dtypes. Cases where ketch
deliberately differs (errors that name the UDF and its rows, per-row
``on_error`` for async functions, GPU requests checked) test ketch alone."""

from __future__ import annotations

import asyncio
import threading
import time
import warnings
from collections.abc import Iterator
from typing import TypedDict

import daft
import numpy as np
import pyarrow as pa
import pytest

import ketch

DATA = {"x": [1, 2, None, 4], "y": [10, 20, 30, 40], "s": ["a", "bc", None, "d e"], "n": [0, 2, 1, 3]}


def _result(df):
    return df.to_pydict(), [str(f.dtype) for f in df.schema()]


def _both(build):
    """``build(mod, df)`` for ketch and for Daft; their results must be equal."""
    got = _result(build(ketch, ketch.from_pydict(DATA)))
    want = _result(build(daft, daft.from_pydict(DATA)))
    assert got == want
    return got


class Pair(TypedDict):
    a: int
    b: str


def test_row_wise_arguments_names_and_nulls():
    def build(mod, df):
        col = mod.col

        @mod.func
        def add(a: int, b: int = 0) -> int:
            return -1 if a is None else a + b

        return df.select(add(col("x"), col("y")), add(5, col("y")).alias("c"))

    _both(build)
    # Keywords in call order name the column (Daft 0.7.26 gets the values wrong when a
    # sibling UDF column shadows an input in the same select, so this one runs alone).
    _both(
        lambda mod, df: df.select(mod.func(lambda a, b: a * 100 + b, return_dtype=int)(b=mod.col("y"), a=mod.col("n")))
    )


@pytest.mark.parametrize(
    "hint, value",
    [
        (int, 1),
        (float, 1.5),
        (str, "s"),
        (bool, True),
        (bytes, b"b"),
        (list[str], ["p", None]),
        (dict[str, int], {"k": 1}),
        (int | None, None),
        (tuple[int, ...], (1, 2)),
        (Pair, {"a": 1, "b": "z"}),
    ],
    ids=str,
)
def test_return_type_hints(hint, value):
    def build(mod, df):
        def f(a: int):
            return value

        f.__annotations__["return"] = hint
        return df.select(mod.func(f)(mod.col("y")).alias("r"))

    _both(build)


def test_results_convert_to_the_declared_type():
    """Values that convert (more, and the ones that do not, in test_udf_conversion.py)."""

    def build(mod, df):
        @mod.func(return_dtype=mod.DataType.int64())
        def loose(a):
            return {10: "12", 20: b" 7", 30: 1.7, 40: True}[a]

        return df.select(loose(mod.col("y")))

    assert _both(build)[0] == {"y": [12, 7, 1, 1]}


def test_unnest_struct_result():
    def build(mod, df):
        dtype = mod.DataType.struct({"i": mod.DataType.int64(), "t": mod.DataType.string()})

        @mod.func(return_dtype=dtype, unnest=True)
        def split(a):
            return None if a == 20 else {"i": a * 2, "t": str(a)}

        return df.select("n", split(mod.col("y")))

    _both(build)


def test_generator_repeats_other_columns_and_keeps_empty_rows():
    def build(mod, df):
        @mod.func
        def gen(s: str, n: int) -> Iterator[str]:
            for i in range(n):
                yield f"{s}{i}"

        return df.select("n", gen(mod.col("s"), mod.col("n")))

    assert _both(build)[0]["n"] == [0, 2, 2, 1, 3, 3, 3]


def test_generator_of_structs_with_unnest():
    """A generator UDF with `unnest=True`: one row per yielded struct, its fields as columns."""

    def build(mod, df):
        dtype = mod.DataType.struct({"a": mod.DataType.int64(), "b": mod.DataType.string()})

        @mod.func(return_dtype=dtype, unnest=True)
        def gen(n: int):
            for i in range(n):
                yield {"a": i, "b": str(i)}

        return df.select("n", gen(mod.col("n")))

    assert _both(build)[0]["a"] == [None, 0, 1, 0, 0, 1, 2]


@pytest.mark.parametrize("kind", ["list", "numpy", "arrow", "series", "broadcast"])
def test_batch_function_returns(kind):
    def build(mod, df):
        @mod.func.batch(return_dtype=mod.DataType.int64(), batch_size=3)
        def double(a, k):
            values = [None if v is None else v * k for v in a.to_pylist()]
            return {
                "list": values,
                "numpy": np.array([v or 0 for v in values]),
                "arrow": pa.array(values),
                "series": mod.Series.from_pylist(values),
                "broadcast": [len(a)],
            }[kind]

        return df.select(double(mod.col("x"), 2))

    _both(build)


@pytest.mark.udf_side_effects
def test_batch_size_splits_calls():
    sizes = []

    @ketch.func.batch(return_dtype=ketch.DataType.int64(), batch_size=3)
    def count(a):
        sizes.append(len(a))
        return a

    ketch.from_pydict({"a": list(range(7))}).select(count(ketch.col("a"))).collect()
    assert sorted(sizes) == [1, 3, 3]


def test_async_rows_run_concurrently():
    @ketch.func
    async def slow(a: int) -> int:
        await asyncio.sleep(0.3)
        return a * 3

    start = time.perf_counter()
    out = ketch.from_pydict({"a": list(range(16))}).select(slow(ketch.col("a"))).to_pydict()
    assert out == {"a": [3 * i for i in range(16)]}
    assert time.perf_counter() - start < 2.0, "16 rows of 0.3 s must overlap"
    assert asyncio.iscoroutine(coro := slow(1))
    assert asyncio.run(coro) == 3


@pytest.mark.udf_side_effects
def test_async_max_concurrency_bounds_rows_in_flight():
    live, peak = [0], [0]

    @ketch.func(max_concurrency=2)
    async def tracked(a: int) -> int:
        live[0] += 1
        peak[0] = max(peak[0], live[0])
        await asyncio.sleep(0.02)
        live[0] -= 1
        return a

    ketch.from_pydict({"a": list(range(10))}).select(tracked(ketch.col("a"))).collect()
    assert peak[0] == 2


def test_class_udf_methods_share_one_instance():
    def build(mod, df):
        @mod.cls
        class Scale:
            inits = 0

            def __init__(self, k: int = 1):
                type(self).inits += 1
                self.k = k

            def plain(self, a: int) -> int:
                return a * self.k

            @mod.method(return_dtype=mod.DataType.string())
            def label(self, a):
                return f"{a}-{self.k}"

            @mod.method.batch(return_dtype=mod.DataType.int64())
            def shift(self, a, extra=0):
                return [None if v is None else v * self.k + extra for v in a.to_pylist()]

            def __call__(self, a: int) -> int:
                return a + self.k

        m = Scale(5)
        assert Scale.__ketch_class__.inits == 0 if mod is ketch else True  # nothing runs until a batch needs it
        cols = (m.plain(mod.col("y")).alias("p"), m.label(mod.col("x")).alias("l"))
        return df.select(*cols, m.shift(mod.col("y"), extra=100).alias("b"), m(mod.col("y")).alias("c"))

    _both(build)


@pytest.mark.udf_side_effects
def test_class_udf_init_runs_once_and_direct_calls_work():
    inits = []

    @ketch.cls
    class Model:
        def __init__(self, bias):
            inits.append(bias)
            self.bias = bias

        def predict(self, a: int) -> int:
            return a + self.bias

    m = Model(7)
    assert inits == []
    df = ketch.from_pydict({"a": list(range(1000))})
    assert df.select(m.predict(ketch.col("a"))).to_pydict()["a"] == [i + 7 for i in range(1000)]
    assert m.predict(1) == 8
    assert inits == [7]
    with pytest.raises(AttributeError):
        m.bias  # noqa: B018 - instance attributes are not reachable, as in Daft


@pytest.mark.udf_side_effects
def test_class_udf_max_concurrency_makes_at_most_n_instances():
    made = []

    @ketch.cls(max_concurrency=2, use_process=False)
    class Work:
        def __init__(self):
            made.append(1)

        @ketch.method.batch(return_dtype=ketch.DataType.int64(), batch_size=10)
        def f(self, a):
            time.sleep(0.01)
            return a

    df = ketch.from_pydict({"a": list(range(200))}).repartition(4)
    assert sorted(df.select(Work().f(ketch.col("a"))).to_pydict()["a"]) == list(range(200))
    assert 1 <= len(made) <= 2


@pytest.mark.filterwarnings("ignore:User-defined function")
@pytest.mark.parametrize("on_error", ["ignore", "log"])
def test_on_error_nulls_failing_rows(on_error):
    def build(mod, df):
        @mod.func(on_error=on_error)
        def picky(a: int) -> int:
            if a == 20:
                raise RuntimeError("no 20")
            return a

        return df.select(picky(mod.col("y")))

    assert _both(build)[0] == {"y": [10, None, 30, 40]}


def test_failed_rows_are_reported_after_the_query():
    @ketch.func(on_error="ignore")
    def picky(a: int) -> int:
        if a % 3 == 0:
            raise RuntimeError("multiple of 3")
        return a

    with pytest.warns(UserWarning, match=r"`.*picky` failed on 4 row\(s\)"):
        out = ketch.from_pydict({"a": list(range(10))}).select(picky(ketch.col("a"))).to_pydict()
    assert out["a"] == [None, 1, 2, None, 4, 5, None, 7, 8, None]


@pytest.mark.udf_side_effects
@pytest.mark.filterwarnings("ignore:User-defined function")
def test_retries_are_per_row():
    calls = {}

    @ketch.func(max_retries=2, on_error="ignore")
    def flaky(a: int) -> int:
        calls[a] = calls.get(a, 0) + 1
        if a == 2 or (a == 3 and calls[a] < 2):
            raise RuntimeError("transient")
        return a

    out = ketch.from_pydict({"a": [1, 2, 3]}).select(flaky(ketch.col("a"))).to_pydict()
    assert out == {"a": [1, None, 3]}
    assert calls == {1: 1, 2: 3, 3: 2}


def test_row_errors_name_the_udf_rows_and_keep_the_cause():
    @ketch.func
    def boom(a: int) -> int:
        if a > 15:
            raise KeyError(f"bad {a}")
        return a

    with pytest.raises(ketch.errors.UDFException) as info:
        ketch.from_pydict(DATA).select(boom(ketch.col("y"))).collect()
    e = info.value
    assert isinstance(e, ValueError)  # Daft raises DaftCoreException, a ValueError
    assert "boom" in str(e) and "3 of 4 rows" in str(e) and "row 1 (20): KeyError" in str(e)
    assert isinstance(e.__cause__, KeyError) and e.__cause__.__traceback__ is not None


def test_batch_errors_keep_the_users_exception_class():
    def run(mod):
        @mod.func.batch(return_dtype=mod.DataType.int64())
        def boom(a):
            raise KeyError("boom")

        with pytest.raises(KeyError):
            mod.from_pydict(DATA).select(boom(mod.col("y"))).collect()

    run(ketch)
    run(daft)


@pytest.mark.filterwarnings("ignore:User-defined function")
def test_async_on_error_is_per_row():
    """Daft 0.7.26 nulls the whole batch; ketch nulls only the failing row."""

    @ketch.func(on_error="ignore")
    async def picky(a: int) -> int:
        if a == 20:
            raise RuntimeError("no 20")
        return a

    assert ketch.from_pydict(DATA).select(picky(ketch.col("y"))).to_pydict() == {"y": [10, None, 30, 40]}


def test_option_errors_match_daft():
    for mod in (ketch, daft):

        @mod.func(on_error="null")
        def f(a: int) -> int:
            return a

        with pytest.raises(ValueError, match="on_error"):
            f(mod.col("y"))
        with pytest.raises(ValueError, match="return type hint"):

            @mod.func
            def g(a):
                return a

        with pytest.raises(ValueError, match="unnest"):
            mod.func(return_dtype=mod.DataType.int64(), unnest=True)(lambda a: a)(mod.col("y"))
        with pytest.raises(TypeError):
            mod.func.batch()(lambda a: a)


def test_gpu_request_larger_than_the_machine_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")

    @ketch.func(gpus=1)
    def f(a: int) -> int:
        return a

    with pytest.raises(ValueError, match="requested 1 GPU"):
        f(ketch.col("y"))


def test_legacy_udf_and_apply():
    def build(mod, df):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)

            @mod.udf(return_dtype=mod.DataType.int64(), batch_size=2)
            def add_c(x, c=10):
                return [None if v is None else v + c for v in x]

            @mod.udf(return_dtype=mod.DataType.string())
            class Tag:
                def __init__(self, text="!"):
                    self.text = text

                def __call__(self, s):
                    return [None if v is None else v + self.text for v in s.to_pylist()]

        return df.with_columns(
            {
                "l": add_c(mod.col("x"), c=20),
                "t": Tag.with_init_args(text="?")(mod.col("s")),
                "a": mod.col("s").apply(lambda v: len(v or ""), return_dtype=mod.DataType.int64()),
            }
        )

    _both(build)


def test_legacy_udf_errors_match_daft_classes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)

        @ketch.udf(return_dtype=ketch.DataType.int64())
        def boom(x):
            raise KeyError("boom")

        @ketch.udf(return_dtype=ketch.DataType.int64())
        class NeedsArgs:
            def __init__(self, k):
                self.k = k

            def __call__(self, x):
                return x

    with pytest.raises(ketch.errors.UDFException, match="boom") as info:
        ketch.from_pydict(DATA).select(boom(ketch.col("y"))).collect()
    assert isinstance(info.value.__cause__, KeyError)
    with pytest.raises(ValueError, match="with_init_args"):
        ketch.from_pydict(DATA).select(NeedsArgs(ketch.col("y"))).collect()
    with pytest.raises(ValueError, match="cannot have init args"):
        boom.with_init_args(1)


def test_series_api_matches_daft():
    def run(mod):
        s = mod.Series.from_pylist([1, 2, None], name="v")
        t = mod.Series.from_arrow(pa.array([10, 20, 30]), name="w")
        return (s.name(), str(s.datatype()), len(s), s.to_pylist(), (s + t).to_pylist(), s[1], s[-1], list(s))

    assert run(ketch) == run(daft)
    assert ketch.Series.from_numpy(np.arange(3)).to_numpy().tolist() == [0, 1, 2]


@pytest.mark.parametrize("case", ["stdev", "cumsum", "drop_group", "two_keys"])
def test_map_groups_matches_daft(case):
    def build(mod, df):
        col = mod.col
        df = mod.from_pydict({"g": ["a", "a", "a", "b", "b", None], "h": [1, 1, 2, 1, 1, 1], "e": [1, 2, 3, 4, 5, 6]})

        @mod.func.batch(return_dtype=mod.DataType.float64())
        def spread(e):
            v = e.to_pylist()
            return [float(max(v) - min(v))]

        @mod.func.batch(return_dtype=mod.DataType.int64())
        def cumsum(e):
            return np.cumsum(e.to_pylist())

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)

            @mod.udf(return_dtype=mod.DataType.int64())
            def total_unless_two(e):
                return [] if len(e) == 2 else [sum(e.to_pylist())]

        if case == "stdev":
            return df.groupby("g").map_groups(spread(col("e"))).sort("g")
        if case == "cumsum":
            return df.groupby("g").map_groups(cumsum(col("e")).alias("running")).sort(["g", "running"])
        if case == "drop_group":
            return df.groupby("g").map_groups(total_unless_two(col("e"))).sort("g")
        return df.groupby("g", "h").map_groups(spread(col("e"))).sort(["g", "h"])

    _both(build)


@pytest.mark.udf_side_effects
def test_map_groups_is_lazy():
    calls = []

    @ketch.func.batch(return_dtype=ketch.DataType.int64())
    def total(e):
        calls.append(len(e))
        return [sum(e.to_pylist())]

    df = ketch.from_pydict({"g": ["a", "b", "a", None], "e": [1, 2, 3, 4]}).into_partitions(2)
    out = df.groupby("g").map_groups(total(ketch.col("e")).alias("total"))
    assert calls == []
    assert out.column_names == ["g", "total"]
    assert calls == []
    assert sorted(out.to_pylist(), key=repr) == sorted(
        [{"g": "a", "total": 4}, {"g": "b", "total": 2}, {"g": None, "total": 4}], key=repr
    )
    assert sorted(calls) == [1, 1, 2]


def test_map_groups_needs_a_batch_udf():
    @ketch.func
    def row(a: int) -> int:
        return a

    grouped = ketch.from_pydict(DATA).groupby("n")
    for expr in (row(ketch.col("y")), ketch.col("y") + 1):
        with pytest.raises(ValueError, match="batch UDF"):
            grouped.map_groups(expr)


def test_udfs_must_be_serializable_as_in_daft():
    lock = threading.Lock()  # cannot be pickled

    for mod in (ketch, daft):

        @mod.func
        def uses_lock(a: int) -> int:
            with lock:
                return a

        with pytest.raises(ValueError, match="must be serializable"):
            uses_lock(mod.col("y"))

        @mod.cls
        class Holder:
            def __init__(self, guard):
                self.guard = guard

            def f(self, a: int) -> int:
                return a

        with pytest.raises(ValueError, match="classes must be serializable"):
            Holder(lock).f(mod.col("y"))


def test_daft_not_implemented_errors_are_kept():
    """Daft raises NotImplementedError for ``Series()`` and for a legacy UDF returning a tuple; so does ketch."""
    for mod in (ketch, daft):
        with pytest.raises(NotImplementedError, match="via __init__"):
            mod.Series()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)

            @mod.udf(return_dtype=mod.DataType.int64())
            def pair(x):
                return (1, 2)

        with pytest.raises(Exception) as info:
            mod.from_pydict({"a": [1, 2]}).select(pair(mod.col("a"))).collect()
        error = info.value if isinstance(info.value, NotImplementedError) else info.value.__cause__
        assert isinstance(error, NotImplementedError) and "not supported" in str(error)
