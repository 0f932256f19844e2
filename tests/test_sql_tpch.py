"""The 22 TPC-H queries (benchmarks/tpch/queries, validation parameters)
through ketch.sql, compared value for value with DuckDB running the same text
on the same Parquet files (scale factor 0.01, 3 files per table)."""

from __future__ import annotations

import os

import pytest

import ketch

from gen_tpch import TABLES, table_path
from reference import assert_rows_match

QUERY_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks", "tpch", "queries")


@pytest.fixture(scope="module")
def tables(tpch_dir):
    return {t: ketch.read_parquet(table_path(tpch_dir, t)) for t in TABLES}


@pytest.mark.parametrize("q", range(1, 23))
def test_tpch_sql_matches_duckdb(q, tables, duck_tpch):
    text = open(os.path.join(QUERY_DIR, f"q{q:02d}.sql")).read()
    got = ketch.sql(text, **tables).to_pydict()
    cur = duck_tpch.execute(text)
    rows = cur.fetchall()
    # Queries whose ORDER BY may tie are compared as multisets.
    assert_rows_match(got, [d[0] for d in cur.description], rows, ordered=False)
    assert rows, f"Q{q} returned no rows in the reference: the data set is too small to test it"
