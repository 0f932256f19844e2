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


def test_pipe_and_transform_errors():
    df = ketch.from_pydict(DATA)
    assert df.pipe(lambda d, c: d.count_rows() + c, 1) == 4
    with pytest.raises(AssertionError, match="should have been DataFrame"):
        df.transform(lambda d: 1)
    with pytest.raises(ValueError, match="agg_fn"):
        df.pivot("id", "k", "a", "no_such_aggregation")
