"""``@ketch.udaf`` (Daft's user-defined aggregates), checked against daft==0.7.26."""

from __future__ import annotations

import daft
import pytest

import ketch


def _classes(lib):
    @lib.udaf(return_dtype=lib.DataType.float64(), state=lib.DataType.float64())
    class Capped:
        def __init__(self, cap: float) -> None:
            self.cap = cap

        def aggregate(self, values):
            return float(sum(min(v, self.cap) for v in values.to_pylist() if v is not None))

        def combine(self, states):
            return float(sum(states.to_pylist()))

        def finalize(self, state):
            return state

    @lib.udaf(return_dtype=lib.DataType.string(), state={"n": lib.DataType.int64(), "top": lib.DataType.string()})
    class Summary:
        def aggregate(self, names, weights):
            pairs = [(w, n) for n, w in zip(names.to_pylist(), weights.to_pylist()) if n is not None]
            return {"n": len(pairs), "top": max(pairs)[1] if pairs else None}

        def combine(self, states):
            tops = [t for t in states["top"].to_pylist() if t is not None]
            return {"n": sum(states["n"].to_pylist()), "top": max(tops) if tops else None}

        def finalize(self, state):
            return f"{state['n']}:{state['top']}"

    return Capped, Summary


DATA = {
    "g": ["a", "b", "a", "c", "b", "a", None],
    "v": [1.0, 20.0, None, 4.0, 5.0, 100.0, 7.0],
    "name": ["x", "y", "z", None, "w", "v", "u"],
    "w": [1, 5, 3, 2, 4, 6, 0],
}


@pytest.mark.parametrize("partitions", [1, 3])
def test_udaf_matches_daft(partitions) -> None:
    results = []
    for lib in (ketch, daft):
        capped, summary = _classes(lib)
        df = lib.from_pydict(DATA).into_partitions(partitions)
        grouped = (
            df.groupby("g")
            .agg(
                capped(10.0)(lib.col("v")).alias("c10"),
                capped(2.0)(lib.col("v")).alias("c2"),
                summary()(lib.col("name"), lib.col("w")).alias("s"),
            )
            .sort("g")
            .to_pydict()
        )
        total = df.agg(capped(50.0)(lib.col("v")).alias("t")).to_pydict()
        results.append((grouped, total))
    assert results[0] == results[1]


def test_udaf_errors() -> None:
    with pytest.raises(ValueError, match="must define a `combine` method"):

        @ketch.udaf(return_dtype=ketch.DataType.int64(), state=ketch.DataType.int64())
        class NoCombine:
            def aggregate(self, v):
                return 0

            def finalize(self, s):
                return s

    capped, summary = _classes(ketch)
    with pytest.raises(ValueError, match="at least one Expression argument"):
        capped(1.0)(3)

    @ketch.udaf(return_dtype=ketch.DataType.int64(), state={"a": ketch.DataType.int64()})
    class WrongState:
        def aggregate(self, v):
            return {"b": 1}

        def combine(self, s):
            return {"a": 1}

        def finalize(self, s):
            return s["a"]

    with pytest.raises(Exception, match=r"must return a dict with keys \['a'\]"):
        ketch.from_pydict({"x": [1]}).agg(WrongState()(ketch.col("x")).alias("r")).to_pydict()
