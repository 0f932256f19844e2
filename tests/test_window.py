"""Window functions against daft==0.7.26: ``expr.over(Window...)`` for
aggregations and ranking/offset functions, partitioned and global."""

from __future__ import annotations

import daft
import pytest

import ketch

DATA = {"g": ["a", "a", "b", "a", "b", None], "x": [3, 1, 2, None, 5, 4], "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}


def _cases(mod):
    F, col, W = mod.functions, mod.col, mod.Window
    w = W().partition_by("g").order_by("y")
    wd = W().partition_by("g").order_by("x", desc=True)
    whole = w.rows_between(W.unbounded_preceding, W.unbounded_following)
    return {
        "sum_partition": col("x").sum().over(W().partition_by("g")),
        "running_sum": col("x").sum().over(w),
        "running_count": col("x").count().over(w),
        "moving_mean": col("x").mean().over(w.rows_between(-1, 1)),
        "running_min": col("x").min().over(w.rows_between(W.unbounded_preceding, W.current_row)),
        "max_min_periods": col("x").max().over(w.rows_between(-2, 0, min_periods=2)),
        "range_sum": col("x").sum().over(w.range_between(-1.5, 0.0)),
        # Daft's range offsets are in the column's values, also descending.
        "range_desc": col("y").sum().over(W().partition_by("g").order_by("y", desc=True).range_between(-2.0, 0.0)),
        "range_desc_following": col("y")
        .sum()
        .over(W().partition_by("g").order_by("y", desc=True).range_between(-1.0, 2.0)),
        "row_number": F.row_number().over(w),
        "rank_desc": F.rank().over(wd),
        "dense_rank_desc": F.dense_rank().over(wd),
        "nulls_first": F.row_number().over(W().partition_by("g").order_by("x", nulls_first=True)),
        "lag": F.lag(col("x"), 1).over(w),
        "lag_2": F.lag(col("x"), 2).over(w),
        "lead_default": F.lead(col("x"), 1, 0).over(w),
        "first_value": F.first_value(col("x")).over(w.rows_between(W.unbounded_preceding, W.current_row)),
        "last_value": F.last_value(col("x")).over(whole),
        "method_form": col("y").max().over(W().partition_by(col("g"))),
        "global_rank": F.rank().over(W().order_by("y", desc=True)),
    }


@pytest.mark.parametrize("name", list(_cases(ketch)))
def test_window_matches_daft(name):
    def run(mod):
        df = mod.from_pydict(DATA).select(col := mod.col("y"), _cases(mod)[name].alias("r")).sort(col)
        return df.to_pydict()["r"], str(df.schema()["r"].dtype)

    assert run(ketch) == run(daft)


def test_global_running_aggregate_is_a_ketch_extension():
    """Daft 0.7.26 refuses an aggregation over a window with only order_by; ketch runs it."""
    W = ketch.Window
    running = W().order_by("y").rows_between(W.unbounded_preceding, W.current_row)
    got = ketch.from_pydict(DATA).select(ketch.col("x").sum().over(running).alias("r")).to_pydict()["r"]
    assert got == [3, 4, 6, 6, 11, 15]
    total = ketch.from_pydict(DATA).select(ketch.col("x").sum().over(W().order_by("y")).alias("r")).to_pydict()["r"]
    assert total == [15] * 6


def test_window_errors():
    W = ketch.Window
    with pytest.raises(ValueError, match="partition"):
        W().partition_by()
    with pytest.raises(ValueError, match="descending flags"):
        W().order_by("x", "y", desc=[True])
    with pytest.raises(TypeError, match="Window"):
        ketch.col("x").sum().over("g")
    with pytest.raises(ValueError, match="aggregation or a window function"):
        ketch.col("x").over(W().partition_by("g"))


def test_window_in_sql_and_with_columns():
    df = ketch.from_pydict(DATA)
    got = ketch.sql("SELECT y, sum(x) OVER (PARTITION BY g ORDER BY y) AS r FROM df ORDER BY y").to_pydict()["r"]
    assert got == [3, 4, 2, 4, 7, 4]
    out = df.with_column("rn", ketch.functions.row_number().over(ketch.Window().partition_by("g").order_by("y")))
    assert out.sort("y").to_pydict()["rn"] == [1, 2, 1, 3, 2, 1]


def test_range_frame_descending_counts_offsets_in_values():
    # Daft's semantics (value space), where its own answer for an unbounded
    # start is wrong (null maxima): the values up to v + 1 in each group.
    W = ketch.Window
    w = W().partition_by("g").order_by("y", desc=True).range_between(W.unbounded_preceding, 1.0)
    out = ketch.from_pydict(DATA).select("g", "y", ketch.col("y").max().over(w).alias("r")).sort(["g", "y"])
    assert out.to_pydict()["r"] == [2.0, 2.0, 4.0, 3.0, 5.0, 6.0]
