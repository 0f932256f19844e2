"""Seeing a running query: metrics values, the subscriber events (Daft's
names, order and fields), the event log, progress bars, live samples of a
running query, and the dashboard in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from PIL import Image

import ketch
from ketch import _native
from ketch._native import PyQueryProgress
from ketch.context import _session
from ketch.exceptions import DaftCoreException
from ketch.runners.progress_bar import progress_bar_enabled
from ketch.subscribers import StatType, Subscriber, launch
from ketch.subscribers.events import (
    ExecutionFinished,
    ExecutionStarted,
    OperatorFinished,
    OperatorStarted,
    OptimizationCompleted,
    OptimizationStarted,
    QueryEndState,
    QueryFinished,
    QueryHeartbeat,
    QueryStarted,
    Stats,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Recorder(Subscriber):
    def __init__(self):
        self.events = []

    def on_event(self, event):
        self.events.append(event)

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]


def operators(df):
    """``df.metrics`` as ``{type: stats dict}`` (the first operator of each type)."""
    out = {}
    for row in df.metrics.to_pylist():
        out.setdefault(row["type"], {k: v["value"] for k, v in row["stats"]})
    return out


@ketch.func
def slow_double(x: int) -> int:
    time.sleep(0.05)
    return x * 2


def slow_query(rows=60):
    """A query of ``rows`` rows through a UDF taking 50 ms a row, 2 rows a batch."""
    return ketch.from_pydict({"x": list(range(rows))}).select(slow_double(ketch.col("x")).alias("y"))


# --- metrics values ----------------------------------------------------------


def test_filter_and_aggregate_metrics_count_the_rows_they_pass():
    table = pa.table({"x": list(range(1000)), "g": [i % 7 for i in range(1000)]})
    kept = pc.sum(pc.equal(pc.bit_wise_and(table["x"], 3), 0)).as_py()
    df = ketch.from_arrow(table).where((ketch.col("x") % 4) == 0).groupby("g").agg(ketch.col("x").sum()).collect()
    ops = operators(df)
    assert ops["FilterExec"]["rows.in"] == 1000
    assert ops["FilterExec"]["rows.out"] == kept == 250
    groups = len(table.filter(pc.equal(pc.bit_wise_and(table["x"], 3), 0)).group_by("g").aggregate([]))
    final = [r for r in df.metrics.to_pylist() if r["type"] == "AggregateExec"][-1]
    assert dict((k, v["value"]) for k, v in final["stats"])["rows.out"] == groups == 7
    assert len(df.to_pydict()["g"]) == groups
    for stats in ops.values():
        assert stats["duration"] >= 0


def test_csv_scan_reports_bytes_read(tmp_path):
    # Daft's tests/test_subscribers.py: a CSV source reports bytes.read > 0.
    path = tmp_path / "input.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6\n")
    df = ketch.read_csv(str(path)).where(ketch.col("a") > 1).collect()
    source = operators(df)["DataSourceExec"]
    assert source["bytes.read"] == source["bytes.total"] == os.path.getsize(path)


def test_parquet_scan_reports_files_and_bytes_read(tmp_path):
    for i in range(3):
        pq.write_table(pa.table({"x": list(range(i * 1000, (i + 1) * 1000))}), tmp_path / f"part-{i}.parquet")
    sizes = sum(os.path.getsize(tmp_path / f) for f in os.listdir(tmp_path))
    df = ketch.read_parquet(str(tmp_path)).where(ketch.col("x") >= 500).collect()
    source = operators(df)["DataSourceExec"]
    assert source["files.total"] == 3
    assert source["files.read"] == 3
    assert source["bytes.total"] == sizes
    assert 0 < source["bytes.read"] <= sizes
    assert source["rows.out"] == 3000
    assert operators(df)["FilterExec"]["rows.out"] == 2500


def test_udf_metrics_count_calls_and_suppressed_failures():
    @ketch.func(on_error="ignore")
    def fragile(x: int) -> int:
        if x % 10 == 3:
            raise ValueError("bad row")
        return x

    with ketch.execution_config_ctx(default_morsel_size=10):
        df = ketch.from_pydict({"x": list(range(100))}).select(fragile(ketch.col("x")).alias("y"))
        with pytest.warns(UserWarning, match="failed on 10 row"):
            df = df.collect()
    assert df.to_pydict()["y"].count(None) == 10
    udf = operators(df)["UDFProjectExec"]
    assert udf["udf.calls"] == 10
    assert udf["udf.rows.failed"] == 10
    assert udf["rows.out"] == 100


def test_write_reports_rows_and_files_written(tmp_path):
    rec = Recorder()
    with ketch.with_subscriber("rec", rec):
        files = ketch.from_pydict({"x": list(range(500)), "p": [i % 3 for i in range(500)]}).write_parquet(
            str(tmp_path), partition_cols=["p"]
        )
    names = {e.node_id: e.name for e in rec.of(OperatorStarted)}
    write_id = [i for i, n in names.items() if n == "Write"][0]
    final = [e.stats[write_id] for e in rec.of(Stats) if write_id in e.stats][-1]
    assert final["rows.written"] == (StatType.COUNT, 500)
    assert final["files.written"] == (StatType.COUNT, len(files.to_pydict()["path"])) == (StatType.COUNT, 3)
    assert ketch.read_parquet(str(tmp_path), hive_partitioning=True).count_rows() == 500


def test_explain_analyze_prints_the_executed_plan_with_its_metrics(capsys):
    ketch.from_pydict({"a": list(range(10))}).where(ketch.col("a") > 6).explain_analyze()
    out = capsys.readouterr().out
    assert "FilterExec" in out
    assert "output_rows=3" in out
    assert "elapsed_compute=" in out


# --- live samples ------------------------------------------------------------


def test_a_running_query_is_sampled_while_it_runs():
    progress = PyQueryProgress()
    samples = []
    with ketch.execution_config_ctx(default_morsel_size=2):
        plan = slow_query()._plan
        _session().collect(plan, progress, lambda: samples.append(progress.snapshot()), 200)
    running = [s for s in samples if s is not None]
    assert running, "no sample while the query ran (it takes about 3 s)"
    udf = [op for op in running[0] if op["name"] == "UDFProject"][0]
    assert udf["status"] == "Executing"
    assert 0 <= udf["stats"]["rows.out"][0] < 60
    final = {op["name"]: op for op in progress.snapshot()}
    assert final["UDFProject"]["status"] == "Finished"
    assert final["UDFProject"]["stats"]["rows.out"][0] == 60
    assert final["UDFProject"]["stats"]["udf.calls"][0] == 30
    assert final["UDFProject"]["children"] == [final["DataSource"]["id"]]
    assert final["DataSource"]["stats"]["rows.total"][0] == 60
    assert "UDFProject" in progress.optimized_plan()


# --- subscribers -------------------------------------------------------------


def test_subscriber_receives_daft_events_in_order():
    rec = Recorder()
    with ketch.with_subscriber("rec", rec):
        ketch.from_pydict({"x": list(range(100))}).where(ketch.col("x") > 10).collect()
    kinds = [type(e) for e in rec.events]
    assert kinds[:4] == [QueryStarted, OptimizationStarted, OptimizationCompleted, ExecutionStarted]
    assert kinds[-2:] == [ExecutionFinished, QueryFinished]
    assert len({e.query_id for e in rec.events}) == 1
    started = {e.node_id: e.name for e in rec.of(OperatorStarted)}
    assert {e.node_id: e.name for e in rec.of(OperatorFinished)} == started
    assert "Filter" in started.values()
    plan = json.loads(rec.of(ExecutionStarted)[0].physical_plan)
    assert plan["id"] == max(started) and plan["children"]
    filter_id = [i for i, n in started.items() if n == "Filter"][0]
    final = [e.stats[filter_id] for e in rec.of(Stats) if filter_id in e.stats][-1]
    assert final["rows.out"] == (StatType.COUNT, 89)
    assert final["rows.in"] == (StatType.COUNT, 100)
    assert final["selectivity"] == (StatType.PERCENT, 89.0)
    assert final["duration"][0] == StatType.DURATION
    meta = rec.of(QueryStarted)[0].metadata
    assert meta.runner == "Native (ketch)" and "Filter" in meta.unoptimized_plan
    assert meta.output_schema.column_names() == ["x"]
    end = rec.of(QueryFinished)[0]
    assert end.result.end_state == QueryEndState.Finished and end.duration_ms >= 0
    assert end.result.error_message == "Query finished"  # Daft's message


def test_subscriber_sees_heartbeats_and_running_stats_of_a_slow_query():
    rec = Recorder()
    with ketch.with_subscriber("rec", rec), ketch.execution_config_ctx(default_morsel_size=2):
        slow_query().collect()
    assert rec.of(QueryHeartbeat)
    first = rec.of(Stats)[0]
    (node_id, stats), *_ = first.stats.items()
    assert stats["rows.out"][1] < 60 or len(rec.of(Stats)) > 1


def test_streamed_results_are_observed_too():
    rec = Recorder()
    with ketch.with_subscriber("rec", rec):
        df = ketch.from_pydict({"x": list(range(100))}).where(ketch.col("x") > 10)
        rows = list(df.iter_rows())
    assert len(rows) == 89
    assert type(rec.events[0]) is QueryStarted
    assert rec.of(QueryFinished)[0].result.end_state == QueryEndState.Finished
    names = {e.node_id: e.name for e in rec.of(OperatorStarted)}
    filter_id = [i for i, n in names.items() if n == "Filter"][0]
    final = [e.stats[filter_id] for e in rec.of(Stats) if filter_id in e.stats][-1]
    assert final["rows.out"] == (StatType.COUNT, 89)


def test_failed_query_ends_failed_with_its_error():
    @ketch.func
    def boom(x: int) -> int:
        raise RuntimeError("no good")

    rec = Recorder()
    with ketch.with_subscriber("rec", rec):
        with pytest.raises(Exception, match="no good"):
            ketch.from_pydict({"x": [1]}).select(boom(ketch.col("x"))).collect()
    end = rec.of(QueryFinished)[0]
    assert end.result.end_state == QueryEndState.Failed
    assert "no good" in end.result.error_message


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to itself")
def test_ctrl_c_cancels_an_observed_query(ctrl_c):
    # Ctrl-C while the query is sampled (it may land in the sampling's
    # Python code) cancels it as it does an unobserved one.
    big = ketch.range(0, 10_000_000, partitions=2)
    small = ketch.range(0, 2_000).with_column_renamed("id", "id2")
    slow = big.join(small, how="cross").where(ketch.col("id") + ketch.col("id2") == -1)
    rec = Recorder()
    with ketch.with_subscriber("rec", rec):
        ctrl_c(1.2)
        with pytest.raises(KeyboardInterrupt):
            slow.collect()
    assert rec.of(QueryHeartbeat)
    assert rec.of(QueryFinished)[0].result.end_state == QueryEndState.Canceled
    assert "Query canceled by the user" in rec.of(QueryFinished)[0].result.error_message
    assert _native.runtime_stats()["alive_tasks"] == 0


def test_a_failing_subscriber_does_not_fail_the_query(caplog):
    class Broken(Subscriber):
        def on_stats(self, event):
            raise RuntimeError("subscriber bug")

    with ketch.with_subscriber("broken", Broken()):
        df = ketch.from_pydict({"x": [1, 2, 3]}).where(ketch.col("x") > 1).collect()
    assert df.to_pydict() == {"x": [2, 3]}
    assert "subscriber bug" in caplog.text


def test_attach_and_detach_as_daft():
    rec = Recorder()
    ketch.attach_subscriber("a", rec)
    ketch.attach_subscriber("a", rec)  # replaces, as Daft
    ketch.detach_subscriber("a")
    with pytest.raises(DaftCoreException, match="Subscriber `a` not found"):
        ketch.detach_subscriber("a")
    with pytest.raises(TypeError, match="Subscriber"):
        ketch.attach_subscriber("b", 3)
    ketch.from_pydict({"x": [1]}).where(ketch.col("x") > 0).collect()
    assert rec.events == []

    class OldStyle(Subscriber):
        ended = []

        def on_query_end(self, query_id, result):
            self.ended.append(result.end_state)

    # Daft's older callbacks still work when called directly.
    OldStyle().on_query_end("q", ketch.subscribers.events.PyQueryResult(QueryEndState.Finished))
    assert OldStyle.ended == [QueryEndState.Finished]


# --- event log ---------------------------------------------------------------


def test_event_log_writes_daft_events_per_query(tmp_path):
    with ketch.event_log_ctx(tmp_path):
        assert ketch.get_context().daft_event_log_config.enabled
        ketch.from_pydict({"x": list(range(10))}).where(ketch.col("x") > 4).collect()
    ketch.from_pydict({"x": [1]}).where(ketch.col("x") > 0).collect()  # not logged
    assert not ketch.get_context().daft_event_log_config.enabled
    [query_id] = os.listdir(tmp_path)
    records = [json.loads(line) for line in (tmp_path / query_id / "events.jsonl").read_text().splitlines()]
    names = [r["event"] for r in records]
    assert names[:6] == [
        "event_log_started",
        "query_started",
        "optimization_started",
        "optimization_ended",
        "execution_started",
        "operator_started",
    ]
    assert names[-2:] == ["execution_ended", "query_ended"]
    assert {"stats", "operator_ended"} <= set(names)
    assert all(r["query_id"] == query_id and r["pid"] == os.getpid() for r in records)
    assert records[-1]["state"] == "Finished"
    filter_stats = [r for r in records if r["event"] == "stats" and r["metrics"].get("selectivity") is not None]
    assert filter_stats[-1]["metrics"]["rows.out"] == 5


def test_event_log_from_daft_environment_variables(tmp_path):
    env = {**os.environ, "DAFT_EVENT_LOG_ENABLED": "1", "DAFT_EVENT_LOG_DIR": str(tmp_path)}
    code = "import ketch; ketch.from_pydict({'x': [1, 2]}).where(ketch.col('x') > 1).collect()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
    [query_id] = os.listdir(tmp_path)
    assert "query_ended" in (tmp_path / query_id / "events.jsonl").read_text()


def test_event_log_config_arguments_are_checked():
    with pytest.raises(TypeError, match="enabled must be a bool"):
        ketch.set_event_log_config(enabled="yes")


# --- progress bars -----------------------------------------------------------


def test_progress_bars_show_running_operators(capsys):
    with ketch.execution_config_ctx(default_morsel_size=2, progress_bar=True):
        slow_query(30).collect()
    err = capsys.readouterr().err
    assert "UDFProject [1]: rows in" in err
    assert "DataSource [0]" in err and "%|" in err


def test_progress_bars_off_when_not_a_terminal(capsys, monkeypatch):
    with ketch.execution_config_ctx(default_morsel_size=2):
        slow_query(20).collect()
    assert "UDFProject" not in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert progress_bar_enabled(None)
    monkeypatch.setenv("DAFT_PROGRESS_BAR", "0")
    assert not progress_bar_enabled(None)
    assert progress_bar_enabled(True)
    with pytest.raises(ValueError, match="progress_bar"):
        ketch.set_execution_config(progress_bar="yes")


# --- the dashboard -----------------------------------------------------------


def _get(url):
    return json.load(urllib.request.urlopen(url, timeout=10))


@pytest.fixture
def dashboard():
    handle = launch(port=0)
    yield handle
    handle.shutdown(noop_if_shutdown=True)


def test_dashboard_shows_a_running_query_and_its_operators_in_chromium(dashboard, tmp_path, chromium):
    def page(path, *args):
        return chromium(dashboard.url + path, "--window-size=1280,720", "--virtual-time-budget=2000", *args)

    with ketch.execution_config_ctx(default_morsel_size=2):
        df = slow_query(80)
        runner = threading.Thread(target=df.collect)
        runner.start()
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                queries = _get(dashboard.url + "/client/queries")
                if queries:
                    [query_id] = queries
                    ops = (
                        _get(f"{dashboard.url}/client/query/{query_id}")["state"].get("exec_info", {}).get("operators")
                    )
                    if ops and any(op["stats"].get("rows.out", {}).get("value", 0) > 0 for op in ops.values()):
                        break
                time.sleep(0.1)
            else:
                pytest.fail("the dashboard never saw the query run")
            shot = tmp_path / "dashboard.png"
            page(f"/query/{query_id}", f"--screenshot={shot}")
            running = page(f"/query/{query_id}", "--dump-dom")
        finally:
            runner.join()
    assert query_id in running and "Executing" in running
    for name in ("UDFProject", "DataSource", "Projection"):
        assert name in running
    # Drawn: the page's text and the yellow of "Executing".
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert (np.abs(pixels - [0xF1, 0xC2, 0x1B]).sum(axis=2) < 60).sum() > 50
    assert (pixels.sum(axis=2) > 500).sum() > 2000
    if os.environ.get("KETCH_UPDATE_SCREENSHOTS"):
        shutil.copy(shot, os.path.join(ROOT, "docs", "images", "dashboard.png"))

    listing = page("/queries", "--dump-dom")
    assert query_id in listing and "Finished" in listing
    done = page(f"/query/{query_id}", "--dump-dom")
    assert "Finished" in done and ">80<" in done  # rows out of the UDF
    assert df.to_pydict()["y"] == [2 * x for x in range(80)]


def test_dashboard_lifecycle_as_daft(dashboard):
    with pytest.raises(RuntimeError, match="Server is already running"):
        launch(port=0)
    assert launch(noop_if_initialized=True) is dashboard
    assert dashboard.get_port() > 0
    with urllib.request.urlopen(dashboard.url + "/") as page:
        assert b"ketch dashboard" in page.read()
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(dashboard.url + "/client/query/nope")
    dashboard.shutdown()
    with pytest.raises(RuntimeError, match="already shut down"):
        dashboard.shutdown()
    dashboard.shutdown(noop_if_shutdown=True)
    with pytest.raises(ValueError, match="port"):
        launch(port=70000)
    # The subscriber left with the server: queries run without it.
    ketch.from_pydict({"x": [1]}).where(ketch.col("x") > 0).collect()


def test_runner_default_explain_analyze_lists_operators():
    # The Runner base class's explain_analyze, for runners without an
    # annotated plan: one line per operator from run_with_metrics.
    from ketch.runners.runner import Runner

    runner = ketch.get_or_create_runner()
    plan = ketch.from_pydict({"a": list(range(10))}).where(ketch.col("a") > 6)._plan
    text = Runner.explain_analyze(runner, plan)
    assert "Filter (Intermediate)" in text and "rows.out=3" in text
