"""Daft's execution options: every one accepted with Daft's default, checked
with Daft's exception classes (compared with daft==0.7.26 itself), and the
ones that map to an engine setting change the plan."""

from __future__ import annotations

import inspect

import daft
import pytest

import ketch

DAFT_OPTIONS = [p for p in inspect.signature(daft.set_execution_config).parameters if p != "config"]
# ketch's measured batch size and broadcast threshold (see ExecutionConfig);
# every other default is Daft's.
DIFFERENT_DEFAULTS = {"default_morsel_size", "broadcast_join_size_bytes_threshold"}


def test_every_daft_option_is_accepted_with_daft_default():
    ours = ketch.get_context().daft_execution_config
    theirs = daft.context.get_context().daft_execution_config
    compared = 0
    for name in DAFT_OPTIONS:
        assert hasattr(ours, name), name
        if name in DIFFERENT_DEFAULTS or not hasattr(theirs, name):
            continue
        assert getattr(ours, name) == getattr(theirs, name), name
        compared += 1
    assert compared >= 30
    with ketch.execution_config_ctx(
        **{name: getattr(ours, name) for name in DAFT_OPTIONS if name != "min_cpu_per_task"}
    ):
        assert ketch.from_pydict({"a": [1, 2]}).where(ketch.col("a") > 1).to_pydict() == {"a": [2]}


@pytest.mark.parametrize(
    "option",
    [
        {"shuffle_algorithm": "bogus"},
        {"dynamic_batching_strategy": "bogus"},
        {"flight_shuffle_dirs": []},
        {"flight_shuffle_compression": "gzip"},
        {"default_morsel_size": 0},
        {"broadcast_join_size_bytes_threshold": -1},
        {"maintain_order": "yes"},
        {"enable_dynamic_batching": 1},
        {"no_such_option": 1},
    ],
)
def test_bad_values_raise_what_daft_raises(option):
    with pytest.raises(Exception) as theirs:
        daft.set_execution_config(**option)
    with pytest.raises(type(theirs.value)) as ours:
        ketch.set_execution_config(**option)
    name = next(iter(option))
    if isinstance(theirs.value, ValueError):
        assert name in str(ours.value)
    assert ketch.get_context().daft_execution_config == ketch.context.ExecutionConfig()


def test_none_keeps_the_current_value_and_min_cpu_per_task_is_deprecated():
    with ketch.execution_config_ctx(sample_size_for_sort=5):
        ketch.set_execution_config(sample_size_for_sort=None, maintain_order=None)
        assert ketch.get_context().daft_execution_config.sample_size_for_sort == 5
        with pytest.warns(DeprecationWarning, match="min_cpu_per_task"):
            ketch.set_execution_config(min_cpu_per_task=1.0)


def _join_plan() -> tuple[str, dict]:
    left = ketch.from_pydict({"k": list(range(1000)), "v": list(range(1000))})
    right = ketch.from_pydict({"k": list(range(0, 1000, 7)), "w": list(range(143))})
    joined = left.join(right, on="k").sort("k")
    text = []
    joined.explain(show_all=True, file=type("F", (), {"write": lambda self, s: text.append(s)})())
    return "".join(text), joined.to_pydict()


def test_broadcast_join_threshold_chooses_the_join_mode():
    with ketch.execution_config_ctx(broadcast_join_size_bytes_threshold=0):
        partitioned, rows_p = _join_plan()
    with ketch.execution_config_ctx(broadcast_join_size_bytes_threshold=100 * 1024 * 1024):
        broadcast, rows_b = _join_plan()
    assert "mode=CollectLeft" in broadcast and "mode=CollectLeft" not in partitioned
    assert rows_p == rows_b and len(rows_p["k"]) == 143


def test_high_cardinality_threshold_is_checked_and_keeps_results():
    with pytest.raises(ValueError, match="high_cardinality_aggregation_threshold"):
        ketch.set_execution_config(high_cardinality_aggregation_threshold=1.5)
    df = ketch.from_pydict({"g": [i % 500 for i in range(5000)], "x": [1] * 5000})
    with ketch.execution_config_ctx(high_cardinality_aggregation_threshold=0.0):
        skipped = df.groupby("g").agg(ketch.col("x").sum()).sort("g").to_pydict()
    assert skipped["x"] == [10] * 500


def test_num_preview_rows_sets_the_rows_a_collected_frame_shows():
    with ketch.execution_config_ctx(num_preview_rows=3):
        df = ketch.from_pydict({"a": list(range(10))}).where(ketch.col("a") >= 0)
        df.collect(num_preview_rows=None)
        assert repr(df).splitlines()[-1] == "(Showing first 10 of 10 rows)"
        # A frame made from data in memory shows the config's number.
        assert repr(ketch.from_pydict({"a": list(range(10))})).splitlines()[-1] == "(Showing first 3 of 10 rows)"
    assert repr(ketch.from_pydict({"a": list(range(10))})).splitlines()[-1] == "(Showing first 8 of 10 rows)"
