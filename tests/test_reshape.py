"""DataFrame methods built on the registry, against daft==0.7.26: unpivot /
melt, pivot, describe, summarize, transform and pipe."""

from __future__ import annotations

import daft
import pytest

import ketch

DATA = {"id": [1, 2, 1], "k": ["x", "y", "y"], "a": [1, 2, 3], "b": [4.5, None, 6.0], "s": ["p", "q", None]}


def _both(fn):
    out = []
    for mod in (ketch, daft):
        df = fn(mod.from_pydict(DATA))
        out.append((df.to_pydict(), [(f.name, str(f.dtype)) for f in df.schema()]))
    return out


@pytest.mark.parametrize(
    "case",
    [
        lambda df: df.unpivot("id", ["a", "b"]),
        lambda df: df.melt(["id", "k"]),
        lambda df: df.unpivot("id", "a", variable_name="var", value_name="val"),
        lambda df: df.describe(),
        lambda df: df.summarize(),
        lambda df: df.transform(lambda d, n: d.limit(n), 2),
    ],
    ids=["unpivot", "melt_all_values", "unpivot_names", "describe", "summarize", "transform"],
)
def test_matches_daft(case):
    got, want = _both(case)
    assert got == want


@pytest.mark.parametrize("names", [None, ["y", "x", "z"]])
def test_pivot_matches_daft(names):
    # Daft's row and (without names) column order is unspecified: compare by key.
    def table(mod):
        out = mod.from_pydict(DATA).pivot("id", "k", "a", "sum", names=names).sort("id").to_pydict()
        return sorted(out.items())

    assert table(ketch) == table(daft)


@pytest.mark.parametrize("agg_fn", ["sum", "count", "list", "mean", "any_value"])
@pytest.mark.parametrize("names", [None, ["x", "None", "z"]])
def test_pivot_null_values_and_empty_cells_match_daft(agg_fn, names):
    # A null pivot value forms the column "None"; a cell without rows is null, even for count.
    data = {"g": ["a", "a", "b", "b", None], "p": ["x", None, "y", None, "x"], "v": [1, 2, 3, None, 5]}

    def table(mod):
        out = mod.from_pydict(data).pivot("g", "p", "v", agg_fn, names=names).sort("g")
        return sorted(out.to_pydict().items()), sorted((f.name, str(f.dtype)) for f in out.schema())

    assert table(ketch) == table(daft)


def test_pivot_is_lazy_given_names():
    df = ketch.from_pydict(DATA).pivot("id", "k", "a", "sum", names=["x", "y"])
    assert df.column_names == ["id", "x", "y"]


def test_pipe_and_transform_errors():
    df = ketch.from_pydict(DATA)
    assert df.pipe(lambda d, c: d.count_rows() + c, 1) == 4
    with pytest.raises(AssertionError, match="should have been DataFrame"):
        df.transform(lambda d: 1)
    with pytest.raises(ValueError, match="agg_fn"):
        df.pivot("id", "k", "a", "no_such_aggregation")


LEFT = {"entity": ["A", "A", "B", "C", "A"], "timestamp": [10, 11, 10, 5, None], "v": [1, 2, 3, 4, 5]}
RIGHT = {
    "entity": ["A", "A", "A", "B", "B", None],
    "timestamp": [9, 10, 11, 9, 12, 10],
    "value": [1.0, 2.0, None, 5.0, 6.0, 7.0],
    "v": [10, 20, 30, 40, 50, 60],
}


@pytest.mark.parametrize("strategy", ["backward", "forward", "nearest"])
@pytest.mark.parametrize("keys", ["by", "no_by_renamed"])
def test_join_asof_matches_daft(strategy, keys):
    def run(mod):
        left, right = mod.from_pydict(LEFT), mod.from_pydict(RIGHT)
        if keys == "by":
            out = left.join_asof(right, on="timestamp", by="entity", strategy=strategy)
        else:
            right = right.with_column_renamed("timestamp", "ts")
            out = left.join_asof(right, left_on="timestamp", right_on="ts", strategy=strategy, suffix="_r")
        out = out.sort(["entity", "timestamp", "v"])
        return out.to_pydict(), [(f.name, str(f.dtype)) for f in out.schema()]

    assert run(ketch) == run(daft)


def test_join_asof_argument_errors():
    left, right = ketch.from_pydict(LEFT), ketch.from_pydict(RIGHT)
    with pytest.raises(ValueError, match="left_on"):
        left.join_asof(right, on="timestamp", left_on="timestamp")
    with pytest.raises(ValueError, match="both"):
        left.join_asof(right, left_on="timestamp")
    with pytest.raises(ValueError, match="strategy"):
        left.join_asof(right, on="timestamp", strategy="closest")
