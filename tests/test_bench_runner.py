"""The benchmark runner's answer checking and summary (benchmarks/tpch/run.py)."""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "tpch"))

import run  # noqa: E402


def test_answers_compare_as_multisets_with_float_tolerance():
    assert run.matches([[1, "a", 0.1 + 0.2]], [[1, "a", 0.3]]) is None
    assert run.matches([[2, "b"], [1, "a"]], [[1, "a"], [2, "b"]]) is None
    assert run.matches([[1, "a"]], [[1, "b"]]) is not None
    assert run.matches([[1.0]], [[1.0001]]) is not None
    assert "rows" in run.matches([[1]], [[1], [2]])
    assert run.matches([[None]], [[None]]) is None


def test_report_lists_failures_and_ratios():
    results = {
        "ketch": {
            "version": "x",
            "peak_rss_mb": 10,
            "queries": {"1": {"best": 1.0, "rows": [[1]]}, "2": {"best": 2.0, "rows": [[9]]}},
        },
        "daft": {
            "version": "y",
            "peak_rss_mb": 20,
            "queries": {"1": {"best": 2.0, "rows": [[1]]}, "2": {"error": "boom"}},
        },
        "duckdb": {
            "version": "z",
            "peak_rss_mb": 5,
            "queries": {"1": {"best": 0.5, "rows": [[1]]}, "2": {"best": 0.5, "rows": [[2]]}},
        },
    }
    text = run.report(results, [1, 2], 1, 3)
    assert "ketch/daft: 0.500 over 1 queries" in text
    assert "daft Q2: boom" in text
    assert "ketch Q2: wrong answer" in text
    assert abs(run.geomean([1.0, 4.0]) - 2.0) < 1e-12
