"""Attached functions in SQL (``attach_function``/``detach_function``,
Daft's SQL UDFs): positional arguments are expressions, ``name := value``
arguments literal keyword arguments; checked against daft==0.7.26."""

from __future__ import annotations

import daft
import pytest

import ketch
from ketch.exceptions import DaftCoreException


def _times(lib):
    @lib.func.batch(return_dtype=lib.DataType.int64())
    def times(x, n=2):
        return [v * n for v in x.to_pylist()]

    return times


@pytest.fixture(autouse=True)
def _detach():
    yield
    for lib in (ketch, daft):
        for name in ("times", "Times", "TIMES", "greet"):
            lib.detach_function(name)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT times(a) AS b FROM df",
        "SELECT times(a, n := 10) AS b FROM df",
        "SELECT times(a, n => 10) AS b FROM df",
        "SELECT TIMES(a) AS b FROM df",  # names resolve case-insensitively
        "SELECT a FROM df WHERE times(a, n := 3) > 4",
        "SELECT times(a) FROM df",  # Daft names the column after the first argument
    ],
)
def test_sql_udf_matches_daft(query) -> None:
    data = {"a": [1, 2, 3]}
    results = []
    for lib in (ketch, daft):
        lib.attach_function(_times(lib))
        results.append(lib.sql(query, df=lib.from_pydict(data)).to_pydict())
    assert results[0] == results[1]


def test_sql_udf_literal_kwargs_and_alias() -> None:
    @ketch.func.batch(return_dtype=str)
    def greet(first, last, greeting="hello"):
        return [f"{greeting}, {a} {b}" for a, b in zip(first, last)]

    ketch.attach_function(greet)
    df = ketch.from_pydict({"f": ["Ada"], "l": ["L"]})
    assert ketch.sql("SELECT greet(f, l, greeting := 'hi') AS g FROM df", df=df).to_pydict() == {"g": ["hi, Ada L"]}
    assert ketch.sql("SELECT greet(f, l) AS g FROM df", df=df).to_pydict() == {"g": ["hello, Ada L"]}
    ketch.attach_function(_times(ketch), alias="Times")
    assert ketch.sql("SELECT times(x, n := 5) AS y FROM df", df=ketch.from_pydict({"x": [1]})).to_pydict() == {"y": [5]}
    # Inside an aggregation too (daft 0.7.26 rejects this query).
    assert ketch.sql("SELECT sum(times(x)) AS s FROM df", df=ketch.from_pydict({"x": [1, 2]})).to_pydict() == {"s": [6]}


def test_sql_udf_errors() -> None:
    ketch.attach_function(_times(ketch))
    df = ketch.from_pydict({"a": [1]})
    with pytest.raises(Exception, match="argument `n` of `times` must be a literal"):
        ketch.sql("SELECT times(a, n := a) FROM df", df=df).to_pydict()
    ketch.attach_function(_times(ketch), alias="TIMES")
    with pytest.raises(Exception, match="Ambigiuous identifier for Function: found"):
        ketch.sql("SELECT times(a) FROM df", df=df).to_pydict()
    ketch.detach_function("TIMES")
    ketch.detach_function("times")
    ketch.detach_function("times")  # detaching what is not attached does nothing, as in Daft
    with pytest.raises(Exception, match="Function `times` not found"):
        ketch.sql("SELECT times(a) FROM df", df=df).to_pydict()
    with pytest.raises(AttributeError):
        ketch.attach_function(lambda x: x)


def test_get_function_is_for_native_extensions_as_in_daft() -> None:
    ketch.attach_function(_times(ketch))
    with pytest.raises(ValueError, match="only supports native extension functions"):
        ketch.get_function("times", ketch.col("a"))
    with pytest.raises(DaftCoreException, match="Function with name abs not found"):
        ketch.get_function("abs", ketch.col("a"))
