"""The memory limit: queries over a few hundred MB finish under a limit of
tens of MB by spilling, with the answers pyarrow computes, and report what
they spilled; a query that cannot fit raises MemoryLimitError and leaves no
spill files."""

from __future__ import annotations

import io
import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import ketch
from ketch.context import parse_bytes
from ketch.exceptions import MemoryLimitError

ROWS = 2_000_000
LIMIT = "48MiB"


@pytest.fixture(scope="module")
def table() -> pa.Table:
    """~200 MB in memory: a shuffled key, a value, and a 64-byte string."""
    rng = np.random.default_rng(7)
    keys = rng.permutation(ROWS).astype(np.int64)
    payload = pa.array(np.char.add("row-", keys.astype(str)).astype(object)).cast(pa.large_string())
    payload = pc.utf8_rpad(payload, 64, "x")
    return pa.table({"k": keys, "g": keys % (ROWS // 4), "v": rng.integers(0, 1000, ROWS), "s": payload})


@pytest.fixture
def limited(tmp_path):
    spill = tmp_path / "spill"
    with ketch.execution_config_ctx(memory_limit=LIMIT, spill_dir=str(spill)):
        yield spill


def spilled(df: ketch.DataFrame, operator: str) -> float:
    """Bytes `operator` (a DataFusion operator name) spilled, from df.metrics."""
    total = 0.0
    for row in df.metrics.to_pylist():
        if row["type"] == operator:
            total += dict(row["stats"]).get("bytes.spilled", {"value": 0.0})["value"]
    return total


def leftover_files(folder) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(folder) for f in files]


def test_sort_spills_and_gives_sorted_rows(table, limited):
    assert table.nbytes > 3 * parse_bytes(LIMIT)
    df = ketch.from_arrow(table).sort("k").collect()
    got = df.to_arrow()
    assert got.num_rows == ROWS
    assert got["k"].to_numpy().tolist() == list(range(ROWS))
    expected = table.sort_by("k")
    assert got["s"].equals(expected["s"]) and got["v"].equals(expected["v"])
    assert spilled(df, "SortExec") > 0
    assert leftover_files(limited) == []


def test_aggregation_with_many_groups_spills(table, limited):
    df = ketch.from_arrow(table).groupby("g").agg(ketch.col("v").sum(), ketch.col("s").max()).sort("g").collect()
    got = df.to_arrow()
    expected = table.group_by("g").aggregate([("v", "sum"), ("s", "max")]).sort_by("g")
    assert got.num_rows == ROWS // 4
    assert got["g"].to_pylist() == expected["g"].to_pylist()
    assert got["v"].to_pylist() == expected["v_sum"].to_pylist()
    assert got["s"].to_pylist() == expected["s_max"].to_pylist()
    assert spilled(df, "AggregateExec") > 0


def test_join_whose_build_side_does_not_fit_runs_as_a_spilling_sort_merge_join(table, limited):
    right = table.select(["k", "s"]).rename_columns(["k", "s2"])
    df = ketch.from_arrow(table).join(ketch.from_arrow(right), on="k").sort("k").collect()
    got = df.to_arrow()
    assert got.num_rows == ROWS
    assert got["k"].to_numpy().tolist() == list(range(ROWS))
    assert got["s"].equals(got["s2"])
    types = {row["type"] for row in df.metrics.to_pylist()}
    assert "SortMergeJoinExec" in types and "HashJoinExec" not in types
    assert sum(spilled(df, t) for t in types) > 0


def explain(df: ketch.DataFrame) -> str:
    out = io.StringIO()
    df.explain(show_all=True, file=out)
    return out.getvalue()


def test_explain_shows_the_limit_and_the_spill_folder(limited):
    text = explain(ketch.from_pydict({"a": [1]}))
    assert "memory limit: 48.0 MiB (fair spill pool)" in text, text
    assert f"spill folder: {limited}" in text, text


def test_a_query_that_cannot_fit_raises_memory_limit_error_and_leaves_no_spill_files(table, tmp_path):
    spill = tmp_path / "spill"
    with ketch.execution_config_ctx(memory_limit="256KiB", spill_dir=str(spill)):
        with pytest.raises(MemoryLimitError, match=r"memory limit of 256\.0 KiB.*memory_limit") as info:
            ketch.from_arrow(table).sort("k").collect()
        assert isinstance(info.value, MemoryError)
        assert "sort" in str(info.value)
        assert leftover_files(spill) == []


def test_memory_limit_arguments_are_checked():
    with pytest.raises(ValueError, match="memory_limit"):
        ketch.set_execution_config(memory_limit="lots")
    with pytest.raises(ValueError, match="memory_limit"):
        ketch.set_execution_config(memory_limit=0)
    assert parse_bytes("4GB") == 4 * 1000**3
    assert parse_bytes("2g") == 2 * 1024**3
    with ketch.execution_config_ctx(memory_limit="1.5GiB"):
        assert ketch.context.get_context().daft_execution_config.memory_limit == 1.5 * 1024**3


def test_memory_limit_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("KETCH_MEMORY_LIMIT", "96MiB")
    with ketch.execution_config_ctx(memory_limit=None):
        assert "memory limit: 96.0 MiB" in explain(ketch.from_pydict({"a": [1]}))


@ketch.func
def tag(s: str) -> str:
    return s[:3]


def test_a_join_with_a_udf_that_does_not_fit_fails_instead_of_running_the_udf_twice(table, limited):
    right = ketch.from_arrow(table.select(["k", "s"]).rename_columns(["k", "s2"]))
    df = ketch.from_arrow(table).join(right, on="k").select("k", "s", tag(ketch.col("s2")).alias("t"))
    with pytest.raises(MemoryLimitError, match=r"hash join's build side \(HashJoinInput"):
        df.collect()
    assert leftover_files(limited) == []
