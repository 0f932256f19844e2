"""Watching a query while it runs: the lifecycle events Daft's subscribers
receive (:mod:`ketch.subscribers.events`), the event log, the dashboard and
the progress bars, all fed from one place.

A :class:`QueryObserver` is made for each query a runner runs. When nothing
listens (no subscriber attached, event log off, no progress bar) it is
inactive and the query runs exactly as without it. Otherwise the runner
hands the engine a ``PyQueryProgress`` and the observer's :meth:`tick`,
which the engine calls every half second while it waits for the query
(``PySession.collect``): each tick samples the operators' counters (no
engine thread is stopped or called back) and emits ``Stats`` and
``QueryHeartbeat`` and redraws the bars. A subscriber's exception is logged
and ignored, as in Daft.
"""

from __future__ import annotations

import json
import logging
import platform
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ketch._native import PyQueryProgress, __version__
from ketch.context import get_context
from ketch.runners.progress_bar import ProgressBars, progress_bar_enabled
from ketch.schema import Schema
from ketch.subscribers.abc import Subscriber
from ketch.subscribers.event_log import EventLogSubscriber
from ketch.subscribers.events import (
    Event,
    ExecutionFinished,
    ExecutionStarted,
    OperatorFinished,
    OperatorStarted,
    OptimizationCompleted,
    OptimizationStarted,
    PyQueryMetadata,
    PyQueryResult,
    QueryEndState,
    QueryFinished,
    QueryHeartbeat,
    QueryStarted,
    Stats,
    StatType,
)

if TYPE_CHECKING:
    from ketch._native import PyPlan

logger = logging.getLogger(__name__)

TICK_MS = 500
"""How often a running query is sampled (ms)."""


_CALLBACKS: dict[type, str] = {
    QueryStarted: "on_query_started",
    QueryHeartbeat: "on_query_heartbeat",
    QueryFinished: "on_query_finished",
    OptimizationStarted: "on_optimization_started",
    OptimizationCompleted: "on_optimization_completed",
    ExecutionStarted: "on_execution_started",
    ExecutionFinished: "on_execution_finished",
    OperatorStarted: "on_operator_start",
    OperatorFinished: "on_operator_end",
    Stats: "on_stats",
}
"""Each event's :class:`Subscriber` callback (as ``Subscriber.on_event`` dispatches)."""


def _overrides_on_event(cls: type) -> bool:
    """Whether ``cls`` defines its own ``on_event`` (or is no :class:`Subscriber`)."""
    if not issubclass(cls, Subscriber):
        return True
    return any("on_event" in vars(k) for k in cls.__mro__[: cls.__mro__.index(Subscriber)])


_DURATION, _BYTES, _COUNT, _PERCENT = StatType.DURATION, StatType.BYTES, StatType.COUNT, StatType.PERCENT


def daft_stats(op: dict[str, Any]) -> dict[str, tuple[StatType, Any]]:
    """An operator's metrics (``PyQueryProgress.snapshot``'s ``stats``) as
    Daft's ``Stats`` event carries them: ``{name: (StatType, value)}``, times
    as ``timedelta``, counts and bytes as ints; a filter also gets
    ``selectivity`` (percent of its input rows kept), as in Daft. Only the
    stats under Daft-style names (``duration``, ``wall`` and dotted names
    such as ``rows.out``) travel in events; DataFusion's operator-specific
    counters stay in ``DataFrame.metrics`` and ``explain_analyze``.

    >>> from ketch.runners.observe import daft_stats
    >>> op = {"name": "Filter", "stats": {"rows.in": (4.0, None), "rows.out": (1.0, None), "fetch_time": (3.0, "µs")}}
    >>> stats = daft_stats(op)
    >>> stats["selectivity"], "fetch_time" in stats
    ((<StatType.PERCENT: 2>, 25.0), False)
    """
    out: dict[str, tuple[StatType, Any]] = {}
    for name, (value, unit) in op["stats"].items():
        if "." not in name and name not in ("duration", "wall"):
            continue
        if unit == "µs":
            out[name] = (_DURATION, timedelta(microseconds=value))
        elif unit == "bytes":
            out[name] = (_BYTES, int(value))
        else:
            out[name] = (_COUNT, int(value))
    rows_in = op["stats"].get("rows.in", (0, None))[0]
    if op["name"] == "Filter" and rows_in:
        out["selectivity"] = (_PERCENT, 100.0 * op["stats"].get("rows.out", (0, None))[0] / rows_in)
    return out


def plan_json(ops: list[dict[str, Any]]) -> str:
    """The operator tree as Daft's ``ExecutionStarted.physical_plan`` gives
    it: JSON of ``{"id", "name", "type", "category", "children": [...]}``
    from the root (the last of ``ops``).

    >>> import json
    >>> from ketch.runners.observe import plan_json
    >>> ops = [{"id": 0, "name": "DataSource", "type": "DataSourceExec", "category": "Source", "children": []},
    ...        {"id": 1, "name": "Filter", "type": "FilterExec", "category": "Intermediate", "children": [0]}]
    >>> tree = json.loads(plan_json(ops))
    >>> tree["name"], [child["name"] for child in tree["children"]]
    ('Filter', ['DataSource'])
    """
    by_id = {op["id"]: op for op in ops}

    def node(i: int) -> dict[str, Any]:
        op = by_id[i]
        keys = ("id", "name", "type", "category")
        return {**{k: op[k] for k in keys}, "children": [node(c) for c in op["children"]]}

    return json.dumps(node(ops[-1]["id"])) if ops else "{}"


def _entrypoint() -> str | None:
    argv = getattr(sys, "argv", None)
    return " ".join(["python", *argv]) if argv and argv[0] else None


class QueryObserver:
    """One query's observers (see the module docs). ``active`` says whether
    anyone listens; :meth:`started`, :meth:`tick`, :meth:`finished` and
    :meth:`failed` emit the events."""

    def __init__(self, plan: PyPlan, runner: str, want_progress: bool = False) -> None:
        ctx = get_context()
        self.subscribers: list[Any] = ctx._attached_subscribers()
        self._own: list[EventLogSubscriber] = []
        log = ctx.daft_event_log_config
        if log.enabled:
            self._own.append(EventLogSubscriber(log.path))
        self.subscribers += self._own
        # Straight to each event's callback unless the subscriber overrides
        # `on_event` (Subscriber's singledispatch costs ~10 µs an event).
        self._targets = [(s, not _overrides_on_event(type(s))) for s in self.subscribers]
        self.bars = ProgressBars() if progress_bar_enabled(ctx.daft_execution_config.progress_bar) else None
        self.active = bool(self.subscribers or self.bars)
        self.progress = PyQueryProgress() if self.active or want_progress else None
        self.query_id = f"query-{uuid.uuid4().hex[:12]}"
        self._plan, self._runner = plan, runner
        self._start = self._exec_start = 0.0
        self._optimized = self._executing = False
        self._finished: set[int] = set()

    def _emit(self, event: Event) -> None:
        callback = _CALLBACKS[type(event)]
        for subscriber, direct in self._targets:
            try:
                if direct:
                    getattr(subscriber, callback)(event)
                else:
                    subscriber.on_event(event)
            except Exception:
                logger.exception("subscriber %r failed on %s; ignored", subscriber, type(event).__name__)

    def started(self) -> None:
        """The query is about to be planned and run."""
        if not self.active:
            return
        self._start = time.monotonic()
        if self.subscribers:
            metadata = PyQueryMetadata(
                output_schema=Schema.from_pyarrow_schema(self._plan.schema()),
                unoptimized_plan=self._plan.display(),
                runner=self._runner,
                entrypoint=_entrypoint(),
                python_version=platform.python_version(),
                daft_version=__version__,
            )
            self._emit(QueryStarted(self.query_id, metadata))
            self._emit(OptimizationStarted(self.query_id))

    def tick(self) -> None:
        """Samples the running query: events for what changed, the bars redrawn."""
        ops = self._sample()
        if ops is None:
            return
        if self.subscribers:
            running = {op["id"]: daft_stats(op) for op in ops if op["status"] == "Executing"}
            if running:
                self._emit(Stats(self.query_id, running))
            self._finish_operators(ops, only_finished=True)
            self._emit(QueryHeartbeat(self.query_id))
        if self.bars is not None:
            self.bars.update(ops)

    def _sample(self) -> list[dict[str, Any]] | None:
        """A snapshot of the operators; emits the planning and start events
        not yet emitted."""
        progress = self.progress
        if progress is None:
            return None
        if not self._optimized and (optimized := progress.optimized_plan()) is not None:
            self._optimized = True
            self._emit(OptimizationCompleted(self.query_id, optimized))
        ops = progress.snapshot()
        if ops is not None and not self._executing:
            self._executing = True
            self._exec_start = time.monotonic()
            self._emit(ExecutionStarted(self.query_id, plan_json(ops)))
            for op in ops:
                self._emit(OperatorStarted(self.query_id, op["id"], op["name"]))
        return ops

    def _finish_operators(self, ops: list[dict[str, Any]], only_finished: bool) -> None:
        """Final ``Stats`` (one event for all of them) and ``OperatorFinished``
        of the operators that finished (all, at the query's end: their
        totals are final then)."""
        done = [
            op for op in ops if not only_finished or (op["id"] not in self._finished and op["status"] == "Finished")
        ]
        if not done:
            return
        self._emit(Stats(self.query_id, {op["id"]: daft_stats(op) for op in done}))
        for op in done:
            if op["id"] not in self._finished:
                self._finished.add(op["id"])
                self._emit(OperatorFinished(self.query_id, op["id"], op["name"]))

    def finished(self) -> None:
        """The query ran to completion."""
        if not self.active:
            return
        if self.bars is not None:
            self.bars.close()
        if self.subscribers:
            ops = self._sample()
            if ops is not None:
                self._finish_operators(ops, only_finished=False)
            self._end(PyQueryResult(QueryEndState.Finished, "Query finished"))

    def failed(self, error: BaseException) -> None:
        """The query raised ``error`` (``KeyboardInterrupt``: cancelled)."""
        if not self.active:
            return
        if self.bars is not None:
            self.bars.close()
        if self.subscribers:
            self._sample()
            # Daft's messages: "Query canceled by the user", or the error.
            if isinstance(error, KeyboardInterrupt):
                self._end(PyQueryResult(QueryEndState.Canceled, "Query canceled by the user"))
            else:
                self._end(PyQueryResult(QueryEndState.Failed, f"{type(error).__name__}: {error}"))

    def _end(self, result: PyQueryResult) -> None:
        now = time.monotonic()
        if self._executing:
            self._emit(ExecutionFinished(self.query_id, (now - self._exec_start) * 1000))
        self._emit(QueryFinished(self.query_id, result, (now - self._start) * 1000))
        for subscriber in self._own:
            subscriber.close()


def observe_stream(reader: pa.RecordBatchReader, observer: QueryObserver) -> pa.RecordBatchReader:
    """``reader``'s batches, ``observer`` told of the query's progress as
    they are read (sampled at most every :data:`TICK_MS`) and of its end:
    finished when the batches run out or the reader is closed early (the
    consumer took what it needed), failed when reading raises."""

    def batches() -> Iterator[pa.RecordBatch]:
        last = time.monotonic()
        try:
            for batch in reader:
                yield batch
                if time.monotonic() - last >= TICK_MS / 1000:
                    observer.tick()
                    last = time.monotonic()
        except GeneratorExit:
            observer.finished()
            raise
        except BaseException as e:
            observer.failed(e)
            raise
        observer.finished()

    return pa.RecordBatchReader.from_batches(reader.schema, batches())
