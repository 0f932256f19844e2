"""The registry, ``ketch.functions``, ``Expression`` methods and SQL agree:
a Daft function name exists in all of them or in none."""

from __future__ import annotations

import inspect

import daft
import daft.functions as daft_functions
import pytest

import ketch
import ketch.functions as F
from ketch._native import function_names

REGISTRY = dict(function_names())

# ketch.functions names built in Python from other functions (no registry entry of their own).
PYTHON_ONLY = {
    "when",
    "cast",
    "try_cast",
    "is_in",
    "between",
    "over",
    "count_distinct",
    "list_agg_distinct",
    # Built from DataFusion's lambdas (array_transform / array_filter) and a window.
    "list_map",
    "list_filter",
    "monotonically_increasing_id",
}
# daft.functions groups that the multimodal issue covers (similarity: vector similarities of embeddings).
MULTIMODAL = {
    "ai",
    "audio",
    "distance",
    "similarity",
    "file_",
    "hdf5",
    "image",
    "image_file_",
    "llm",
    "url",
    "video",
    "process",
}


def _daft_names() -> dict[str, str]:
    out = {}
    for n in dir(daft_functions):
        fn = getattr(daft_functions, n)
        if not n.startswith("_") and callable(fn) and getattr(fn, "__module__", "").startswith("daft.functions"):
            out[n] = fn.__module__.rsplit(".", 1)[-1]
    return out


def test_every_registry_name_is_a_function():
    missing = sorted(n for n in REGISTRY if not callable(getattr(F, n, None)))
    assert missing == []


def test_every_generated_function_is_in_the_registry():
    for name in F.__all__:
        if name in ("col", "lit") or name in PYTHON_ONLY:
            continue
        assert name in REGISTRY, f"ketch.functions.{name} has no registry entry"


def test_functions_have_daft_signatures():
    for name, group in _daft_names().items():
        if group in MULTIMODAL or not hasattr(F, name):
            continue
        want = list(inspect.signature(getattr(daft_functions, name)).parameters)
        got = list(inspect.signature(getattr(F, name)).parameters)
        assert got == want, f"{name}: ketch {got}, Daft {want}"


def test_methods_follow_functions():
    daft_methods = {n for n in dir(daft.Expression) if not n.startswith("_")}
    for name in F.__all__:
        if name in daft_methods:
            assert hasattr(ketch.Expression, name), f"Expression.{name} is missing"


def test_missing_names_are_listed():
    daft_names = {n for n, g in _daft_names().items() if g not in MULTIMODAL}
    implemented = {n for n in daft_names if hasattr(F, n)}
    assert set(F.MISSING) == daft_names - implemented
    # Every non-multimodal name of daft.functions 0.7.26 (270) is implemented.
    assert F.MISSING == []
    assert len(implemented) == 270, len(implemented)


def test_sql_resolves_scalar_functions_by_daft_name():
    df = ketch.from_pydict({"s": ["Ab c"], "i": [-3]})  # noqa: F841 - referenced by name in SQL
    got = ketch.sql("SELECT to_upper_snake_case(s) AS a, sign(i) AS b, capitalize(s) AS c FROM df").to_pydict()
    assert got == {"a": ["AB_C"], "b": [-1], "c": ["Ab c"]}


def test_literal_and_cast_helpers_match_daft():
    def run(mod):
        col, lit = mod.col, mod.lit
        df = mod.from_pydict({"a": [1, 2], "s": ["A", "b"]})
        out = df.select(col("a").as_float64(), col("s").ascii().alias("x"), col("a").as_string().alias("t"))
        flags = (lit(3).as_py(), lit("x").is_literal(), col("a").is_column(), col("a").is_literal())
        return out.to_pydict(), [str(f.dtype) for f in out.schema()], flags

    assert run(ketch) == run(daft)
    with pytest.raises(ValueError):
        ketch.col("a").as_py()
