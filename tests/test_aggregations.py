"""Aggregations of the registry against daft==0.7.26, global and grouped,
as expressions and through the DataFrame / GroupedDataFrame shortcuts."""

from __future__ import annotations

import math

import daft
import pytest

import ketch

DATA = {
    "g": ["a", "a", "b", "a", "b", "c"],
    "x": [3, 1, 2, None, 5, None],
    "f": [1.5, -2.0, 3.0, 4.0, 0.5, None],
    "b": [True, False, True, None, True, None],
    "s": ["p", "q", None, "p", "r", None],
}

CASES = {
    "approx_count_distinct": lambda F, c: F.approx_count_distinct(c("x")),
    "approx_percentiles_one": lambda F, c: F.approx_percentiles(c("f"), 0.5),
    "approx_percentiles_many": lambda F, c: F.approx_percentiles(c("f"), [0.0, 1.0]),
    "percentile": lambda F, c: F.percentile(c("f"), 0.5),
    "median": lambda F, c: F.median(c("x")),
    "product_int": lambda F, c: F.product(c("x")),
    "product_float": lambda F, c: F.product(c("f")),
    "skew": lambda F, c: F.skew(c("f")),
    "bool_and": lambda F, c: F.bool_and(c("b")),
    "bool_or": lambda F, c: F.bool_or(c("b")),
    "string_agg": lambda F, c: F.string_agg(c("s"), ","),
    "string_agg_default": lambda F, c: F.string_agg(c("s")),
    "list_agg_distinct": lambda F, c: F.list_agg_distinct(c("x")),
    "sum": lambda F, c: F.sum(c("x")),
    "mean": lambda F, c: F.mean(c("f")),
    "count": lambda F, c: F.count(c("x")),
    "count_distinct": lambda F, c: F.count_distinct(c("s")),
    "stddev": lambda F, c: F.stddev(c("f")),
    "var_pop": lambda F, c: F.var(c("f"), ddof=0),
    "min": lambda F, c: F.min(c("s")),
    "max": lambda F, c: F.max(c("x")),
}


def _norm(v):
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 9)
    if isinstance(v, list):
        return sorted((_norm(x) for x in v), key=repr)
    return v


def _run(mod, name, grouped):
    df = mod.from_pydict(DATA)
    e = CASES[name](mod.functions, mod.col).alias("r")
    out = df.groupby("g").agg(e).sort("g") if grouped else df.agg(e)
    return [_norm(v) for v in out.to_pydict()["r"]], str(out.schema()["r"].dtype)


@pytest.mark.parametrize("grouped", [False, True], ids=["global", "grouped"])
@pytest.mark.parametrize("name", list(CASES))
def test_aggregation_matches_daft(name, grouped):
    assert _run(ketch, name, grouped) == _run(daft, name, grouped)


@pytest.mark.parametrize("method", ["product", "skew", "agg_set", "agg_concat"])
def test_dataframe_shortcuts_match_daft(method):
    def run(mod):
        df = mod.from_pydict(DATA)
        cols = ["s"] if method == "agg_concat" else (["x"] if method == "agg_set" else ["x", "f"])
        out = getattr(df, method)(*cols)
        return {k: [_norm(v) for v in vs] for k, vs in out.to_pydict().items()}

    assert run(ketch) == run(daft)


@pytest.mark.parametrize("method", ["product", "skew", "list_agg_distinct", "string_agg"])
def test_grouped_shortcuts_match_daft(method):
    def run(mod):
        df = mod.from_pydict(DATA)
        cols = ["s"] if method == "string_agg" else ["x"]
        out = getattr(df.groupby("g"), method)(*cols).sort("g")
        return {k: [_norm(v) for v in vs] for k, vs in out.to_pydict().items()}

    assert run(ketch) == run(daft)
