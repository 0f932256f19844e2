"""The event log (Daft 0.7.26's ``daft.subscribers.event_log``): every
query's lifecycle as JSON lines in ``<log_dir>/<query_id>/events.jsonl``,
one object per event with ``event``, ``timestamp`` (seconds since the
epoch), ``query_id``, ``hostname``, ``pid`` and the event's fields, under
Daft's event names: ``event_log_started``, ``query_started``,
``optimization_started``, ``optimization_ended``, ``execution_started``,
``operator_started``, ``stats``, ``operator_ended``, ``execution_ended``,
``query_ended``.

Turned on with ``ketch.set_event_log_config(enabled=True, path=...)``, the
``ketch.event_log_ctx(path)`` context manager, the ``DAFT_EVENT_LOG_ENABLED``
and ``DAFT_EVENT_LOG_DIR`` environment variables, or
:func:`enable_event_log`.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import time
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from ketch._native import __version__
from ketch.context import get_context
from ketch.subscribers.abc import Subscriber
from ketch.subscribers.events import (
    ExecutionFinished,
    ExecutionStarted,
    OperatorFinished,
    OperatorStarted,
    OptimizationCompleted,
    OptimizationStarted,
    ProcessStats,
    QueryFinished,
    QueryHeartbeat,
    QueryStarted,
    Stats,
)

_ALIAS = "_daft_event_log"
DEFAULT_EVENT_LOG_DIR = Path("~/.daft/events").expanduser()


def _json_default(obj: object) -> object:
    if isinstance(obj, timedelta):
        return round(obj.total_seconds() * 1000)
    return str(obj)


_ENCODE = json.JSONEncoder(default=_json_default).encode
"""One encoder for every record (``json.dumps(default=...)`` builds one a call)."""


def _mono_ms() -> float:
    return time.monotonic() * 1000


class EventLogSubscriber(Subscriber):
    """Writes each query's events to ``<log_dir>/<query_id>/events.jsonl``
    (the folder is created; a write that fails is skipped, never failing the
    query).

    >>> import json, os, tempfile, ketch
    >>> from ketch.subscribers.event_log import EventLogSubscriber
    >>> folder = tempfile.mkdtemp()
    >>> with ketch.with_subscriber("log", EventLogSubscriber(folder)):
    ...     _ = ketch.from_pydict({"a": [1, 2]}).where(ketch.col("a") > 1).collect()
    >>> [query] = os.listdir(folder)
    >>> lines = open(os.path.join(folder, query, "events.jsonl")).read().splitlines()
    >>> [json.loads(line)["event"] for line in lines][:3]
    ['event_log_started', 'query_started', 'optimization_started']
    """

    def __init__(self, log_dir: str | os.PathLike, component: str | None = None, node_role: str | None = None):
        self._log_dir = Path(log_dir).expanduser().resolve()
        self._log_dir.mkdir(parents=True, exist_ok=True)
        self._closed = False
        self._files: dict[str, IO[str]] = {}
        self._starts: dict[Any, float] = {}
        self._component, self._node_role = component, node_role
        self._hostname, self._pid = socket.gethostname(), os.getpid()

    def _file(self, query_id: str) -> IO[str] | None:
        if self._closed:
            return None
        f = self._files.get(query_id)
        if f is None:
            try:
                (self._log_dir / query_id).mkdir(parents=True, exist_ok=True)
                # Buffered, flushed with each heartbeat and at the query's
                # end: a line-buffered file costs a write call per event.
                f = open(self._log_dir / query_id / "events.jsonl", "a")  # noqa: SIM115 (kept open)
            except OSError:
                return None
            self._files[query_id] = f
            self._write(query_id, "event_log_started", {"daft_version": __version__})
        return f

    def _write(self, query_id: str, event: str, payload: dict[str, Any]) -> None:
        record: dict[str, Any] = {
            "event": event,
            "timestamp": time.time(),
            "query_id": query_id,
            "hostname": self._hostname,
            "pid": self._pid,
        }
        if self._component is not None:
            record["component"] = self._component
        if self._node_role is not None:
            record["node_role"] = self._node_role
        record.update(payload)
        f = self._file(query_id)
        if f is not None:
            try:
                f.write(_ENCODE(record) + "\n")
            except OSError:
                pass

    def _elapsed(self, key: Any) -> int | None:
        start = self._starts.pop(key, None)
        return None if start is None else round(_mono_ms() - start)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for f in self._files.values():
            try:
                f.close()
            except OSError:
                pass
        self._files.clear()

    def on_query_started(self, event: QueryStarted) -> None:
        self._starts[event.query_id] = _mono_ms()
        m = event.metadata
        payload = {
            "plan": m.unoptimized_plan,
            "runner": m.runner,
            "entrypoint": m.entrypoint,
            "daft_version": m.daft_version,
            "python_version": m.python_version,
        }
        self._write(event.query_id, "query_started", payload)

    def on_query_finished(self, event: QueryFinished) -> None:
        duration = event.duration_ms if event.duration_ms is not None else self._elapsed(event.query_id)
        payload: dict[str, Any] = {} if duration is None else {"duration_ms": round(duration)}
        payload["state"] = event.result.end_state.name
        if event.result.end_state.name != "Finished" and event.result.error_message is not None:
            payload["error"] = event.result.error_message
        self._write(event.query_id, "query_ended", payload)
        for key in [k for k in self._starts if isinstance(k, tuple) and k[1] == event.query_id]:
            self._starts.pop(key)
        f = self._files.pop(event.query_id, None)
        if f is not None:
            f.close()

    def on_query_heartbeat(self, event: QueryHeartbeat) -> None:
        f = self._files.get(event.query_id)
        if f is not None:
            try:
                f.flush()
            except OSError:
                pass

    def on_optimization_started(self, event: OptimizationStarted) -> None:
        self._starts[("optimization", event.query_id)] = _mono_ms()
        self._write(event.query_id, "optimization_started", {})

    def on_optimization_completed(self, event: OptimizationCompleted) -> None:
        payload: dict[str, Any] = {"plan": event.optimized_plan}
        duration = self._elapsed(("optimization", event.query_id))
        if duration is not None:
            payload["duration_ms"] = duration
        self._write(event.query_id, "optimization_ended", payload)

    def on_execution_started(self, event: ExecutionStarted) -> None:
        self._starts[("execution", event.query_id)] = _mono_ms()
        self._write(event.query_id, "execution_started", {"physical_plan": event.physical_plan})

    def on_operator_start(self, event: OperatorStarted) -> None:
        self._starts[(event.node_id, event.query_id)] = _mono_ms()
        self._write(event.query_id, "operator_started", {"node_id": event.node_id, "name": event.name})

    def on_stats(self, event: Stats) -> None:
        for node_id, stats in event.stats.items():
            metrics = {name: value for name, (_, value) in stats.items()}
            self._write(event.query_id, "stats", {"node_id": node_id, "metrics": metrics})

    def on_process_stats(self, event: ProcessStats) -> None:
        metrics = {name: value for name, (_, value) in event.stats.items()}
        self._write(event.query_id, "process_stats", {"metrics": metrics})

    def on_operator_end(self, event: OperatorFinished) -> None:
        payload: dict[str, Any] = {"node_id": event.node_id, "name": event.name}
        duration = self._elapsed((event.node_id, event.query_id))
        if duration is not None:
            payload["duration_ms"] = duration
        self._write(event.query_id, "operator_ended", payload)

    def on_execution_finished(self, event: ExecutionFinished) -> None:
        duration = event.duration_ms if event.duration_ms is not None else self._elapsed(("execution", event.query_id))
        self._write(event.query_id, "execution_ended", {} if duration is None else {"duration_ms": round(duration)})


_SUBSCRIBER: EventLogSubscriber | None = None


def enable_event_log(log_dir: str | os.PathLike | None = None) -> None:
    """Attaches an :class:`EventLogSubscriber` writing under ``log_dir``
    (default ``~/.daft/events``), replacing one attached before.

    >>> import os, tempfile, ketch
    >>> from ketch.subscribers.event_log import disable_event_log, enable_event_log
    >>> folder = tempfile.mkdtemp()
    >>> enable_event_log(folder)
    >>> _ = ketch.from_pydict({"a": [1, 2]}).where(ketch.col("a") > 1).collect()
    >>> disable_event_log()
    >>> len(os.listdir(folder))
    1
    """
    global _SUBSCRIBER
    disable_event_log()
    subscriber = EventLogSubscriber(log_dir or DEFAULT_EVENT_LOG_DIR)
    get_context().attach_subscriber(_ALIAS, subscriber)
    _SUBSCRIBER = subscriber


def disable_event_log() -> None:
    """Detaches the subscriber :func:`enable_event_log` attached, if any."""
    global _SUBSCRIBER
    subscriber, _SUBSCRIBER = _SUBSCRIBER, None
    if subscriber is not None:
        get_context().detach_subscriber(_ALIAS)


atexit.register(disable_event_log)

__all__ = ["EventLogSubscriber", "disable_event_log", "enable_event_log"]
