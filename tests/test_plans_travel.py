"""Plans that travel: with ``KETCH_SERIALIZE_PLANS=1`` every plan the native
runner runs first makes the round trip a cluster's workers will need (the
optimized logical plan through ``datafusion-proto`` and ketch's codec, then
the physical plan with the I/O configs it uses; see
``crates/ketch-exec/src/runner.rs``). The TPC-H and UDF suites must give the
same answers that way; tests that watch a UDF's side effects in this process
are skipped there (``udf_side_effects``), as a serialized plan runs a copy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ketch
from ketch import col

TESTS = Path(__file__).parent
SUITES = [
    "test_tpch_dataframe.py",
    "test_sql_tpch.py",
    "test_udf.py",
    "test_udf_execution.py",
    "test_udf_conversion.py",
    "test_udf_doc_examples.py",
]


def test_tpch_and_udf_suites_pass_with_every_plan_serialized():
    env = {**os.environ, "KETCH_SERIALIZE_PLANS": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *[str(TESTS / s) for s in SUITES]],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    tail = run.stdout[-3000:] + run.stderr[-2000:]
    assert run.returncode == 0, tail
    # Only the tests marked as watching side effects are skipped.
    skipped = [line for line in run.stdout.splitlines() if line.startswith("SKIPPED")]
    assert all("UDF side effects" in line for line in skipped), tail


@pytest.fixture
def serialized(monkeypatch):
    """Plans of this test travel as bytes (a new session reads the flag)."""
    monkeypatch.setenv("KETCH_SERIALIZE_PLANS", "1")
    ketch.set_runner_native()
    yield
    monkeypatch.delenv("KETCH_SERIALIZE_PLANS")
    ketch.set_runner_native()


def test_each_source_kind_and_the_write_node_travel(serialized, tmp_path):
    # In-memory tables, file scans, Python-backed scans and writes, each
    # through the round trip.
    mem = ketch.from_pydict({"k": [1, 2, 3], "s": ["a", "b", None]})
    assert mem.where(col("k") > 1).to_pydict() == {"k": [2, 3], "s": ["b", None]}
    pq.write_table(pa.table({"k": [4, 5]}), tmp_path / "f.parquet")
    assert ketch.read_parquet(str(tmp_path / "f.parquet")).to_pydict() == {"k": [4, 5]}
    out = mem.write_parquet(str(tmp_path / "out"), partition_cols=["k"]).to_pydict()
    assert sorted(out["k"]) == [1, 2, 3]
    assert all(p.startswith(str(tmp_path / "out")) for p in out["path"])
    back = ketch.read_parquet(str(tmp_path / "out")).sort("k").to_pydict()
    assert back == {"k": [1, 2, 3], "s": ["a", "b", None]}


def test_kernels_of_daft_functions_and_ignore_nulls_travel(serialized):
    # Kernels made by a Daft function's expansion (closures over literal
    # arguments) are rebuilt from their origin after the round trip; window
    # functions keep IGNORE NULLS.
    df = ketch.from_pydict({"o": [1, 2, 3, 4], "s": ["a b", None, "c d", "e"], "x": [None, 5, None, 7]})
    w = ketch.Window().order_by(col("o")).rows_between(ketch.Window.unbounded_preceding, ketch.Window.current_row)
    got = df.select(
        col("o"),
        col("s").regexp_split(" ").alias("parts"),
        col("s").capitalize().alias("cap"),
        ketch.functions.last_value(col("x"), ignore_nulls=True).over(w).alias("lv"),
    ).sort("o")
    assert got.to_pydict() == {
        "o": [1, 2, 3, 4],
        "parts": [["a", "b"], None, ["c", "d"], ["e"]],
        "cap": ["A b", None, "C d", "E"],
        "lv": [None, 5, 5, 7],
    }
