"""All 22 TPC-H queries in the DataFrame API (benchmarks/tpch/dataframe_queries.py,
the code the benchmark runs on ketch and on Daft) against DuckDB running the
standard SQL on the same files (scale factor 0.01, 3 files per table)."""

from __future__ import annotations

import os
import sys

import pytest

import ketch

from gen_tpch import table_path
from reference import assert_rows_match

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "tpch"))

from dataframe_queries import QUERIES  # noqa: E402

QUERY_DIR = os.path.join(ROOT, "benchmarks", "tpch", "queries")


@pytest.mark.parametrize("q", range(1, 23))
def test_tpch_dataframe_matches_duckdb(q, tpch_dir, duck_tpch):
    got = QUERIES[q](lambda t: ketch.read_parquet(table_path(tpch_dir, t)), ketch).to_pydict()
    cur = duck_tpch.execute(open(os.path.join(QUERY_DIR, f"q{q:02d}.sql")).read())
    rows = cur.fetchall()
    assert rows, f"Q{q} returned no rows in the reference"
    # Column names differ between the APIs (e.g. o_orderkey vs l_orderkey); compare values by position.
    names = [d[0] for d in cur.description]
    assert len(got) == len(names), (list(got), names)
    assert_rows_match(dict(zip(names, got.values())), names, rows, ordered=False)
