from __future__ import annotations

import os

import pytest

import ketch
from ketch import _native, col


def batch_sizes(df):
    return [b.num_rows for b in df.to_arrow_iter()]


def test_default_morsel_size_sets_the_batch_size():
    df = ketch.range(0, 50_000, partitions=1).where(col("id") >= 0)
    with ketch.execution_config_ctx(default_morsel_size=1000):
        sizes = batch_sizes(df)
    assert max(sizes) <= 1000 and sum(sizes) == 50_000
    ketch.set_execution_config(default_morsel_size=20_000)
    try:
        assert ketch.get_context().daft_execution_config.default_morsel_size == 20_000
        sizes = batch_sizes(ketch.range(0, 50_000, partitions=1).where(col("id") >= 0))
        assert max(sizes) == 20_000 and sum(sizes) == 50_000
    finally:
        ketch.set_execution_config(default_morsel_size=None)
    with pytest.raises(ValueError, match="default_morsel_size"):
        ketch.set_execution_config(default_morsel_size=0)
    with pytest.raises(TypeError, match="unknown execution config"):
        ketch.set_execution_config(no_such_option=1)


def test_set_runner_native_sets_parallelism(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    for i in range(4):
        pq.write_table(pa.table({"a": list(range(i * 100, i * 100 + 100))}), tmp_path / f"{i}.parquet")
    try:
        ketch.set_runner_native(num_threads=1)
        assert ketch.read_parquet(str(tmp_path)).num_partitions() == 1
        ketch.set_runner_native(num_threads=4)
        df = ketch.read_parquet(str(tmp_path))
        assert df.num_partitions() == 4
        assert df.sum("a").to_pydict() == {"a": [sum(range(400))]}
    finally:
        ketch.set_runner_native()
    assert ketch.get_or_create_runner().name == "native"
    with pytest.raises(ValueError):
        ketch.set_runner_native(num_threads=0)


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to itself")
def test_ctrl_c_cancels_a_running_query(ctrl_c):
    # ~2e10 row pairs, each batch a small amount of work: cancellation takes
    # effect between batches, so the workers are free again right away.
    big = ketch.range(0, 10_000_000, partitions=2)
    small = ketch.range(0, 2_000).with_column_renamed("id", "id2")
    slow = big.join(small, how="cross").where(col("id") + col("id2") == -1)
    ctrl_c(0.5)
    with pytest.raises(KeyboardInterrupt):
        slow.collect()
    # Counted, not timed: when KeyboardInterrupt arrives, every task of the
    # cancelled query has stopped (none was left running at the wait's limit).
    stats = _native.runtime_stats()
    assert stats["alive_tasks"] == 0
    assert stats["last_cancel_wait_us"] < 10_000_000
    # the engine still works afterwards
    assert ketch.range(3).where(col("id") > 0).count_rows() == 2


def test_runner_is_chosen_as_daft_chooses_it(monkeypatch):
    import ketch.runners as runners

    # A fresh process: no runner yet, the environment decides (DAFT_RUNNER, or KETCH_RUNNER first).
    monkeypatch.setattr(runners, "_RUNNER", None)
    monkeypatch.setenv("DAFT_RUNNER", "native")
    assert ketch.get_or_infer_runner_type() == "native"
    assert runners._RUNNER is None  # inferring creates no runner
    runner = ketch.get_or_create_runner()
    assert isinstance(runner, runners.NativeRunner) and runner is ketch.get_or_create_runner()
    assert runner.run(ketch.from_pydict({"a": [1, 2]}).where(ketch.col("a") > 1)._plan).read_all().to_pydict() == {
        "a": [2]
    }

    monkeypatch.setattr(runners, "_RUNNER", None)
    monkeypatch.setenv("DAFT_RUNNER", "bogus")
    with pytest.raises(ValueError, match="Invalid runner type `DAFT_RUNNER=bogus`"):
        ketch.get_or_create_runner()
    monkeypatch.setenv("KETCH_RUNNER", "ray")
    with pytest.raises(ValueError, match="Ray runner is not available"):
        ketch.get_or_infer_runner_type()
    monkeypatch.delenv("KETCH_RUNNER")
    monkeypatch.delenv("DAFT_RUNNER")
    assert ketch.get_or_create_runner().name == "native"
