"""The dashboard (Daft 0.7.26's ``daft.subscribers.launch``): a web page
listing this process's queries (running, finished, failed, with their
durations) and, per query, its plan as a tree of operators with their live
progress and metrics.

:func:`launch` starts a server from the Python standard library
(``http.server.ThreadingHTTPServer``) on 127.0.0.1 in a background thread
and attaches a :class:`DashboardSubscriber`, which keeps the state of every
query from the events the queries emit. The server answers:

- ``/``, ``/queries``, ``/query/<id>``: the page (one static HTML file that
  reads the JSON below every half second);
- ``/client/queries``: every query's summary, as Daft's dashboard gives it
  (``{id: {id, start_sec, status: {status, duration_sec}, runner,
  entrypoint, python_version, daft_version}}``);
- ``/client/query/<id>``: one query: its plans and ``state.exec_info.operators``
  (``{node_id: {status, node_info: {id, name, node_type, node_category,
  children}, stats: {name: {type, value}}, start_sec, end_sec}}``) and
  ``duration_sec`` (so far, while it runs).
"""

from __future__ import annotations

import atexit
import json
import threading
import time
from datetime import timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from ketch.context import get_context
from ketch.subscribers.abc import Subscriber
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

DEFAULT_PORT = 3238
"""Daft's dashboard port."""

_ALIAS = "_ketch_dashboard"
MAX_QUERIES = 1000
"""Finished queries kept (the oldest are forgotten first), so a long-running
process's dashboard does not grow without bound."""
_STAT_TYPES = {"COUNT": "Count", "BYTES": "Bytes", "PERCENT": "Percent", "FLOAT": "Float", "DURATION": "Duration"}


class _Stats:
    """An operator's stats as the ``Stats`` event gave them, turned into
    Daft's JSON (``{name: {type, value}}``, durations as ``{secs, nanos}``)
    only when a page asks for them."""

    __slots__ = ("stats",)

    def __init__(self, stats: dict[str, tuple[Any, Any]]) -> None:
        self.stats = stats

    def to_json(self) -> dict[str, Any]:
        out = {}
        for name, (stat_type, value) in self.stats.items():
            if isinstance(value, timedelta):
                secs = value // timedelta(seconds=1)
                value = {"secs": secs, "nanos": (value - timedelta(seconds=secs)) // timedelta(microseconds=1) * 1000}
            out[name] = {"type": _STAT_TYPES.get(stat_type.name, stat_type.name.title()), "value": value}
        return out


def _json_value(value: Any) -> Any:
    return value.to_json() if isinstance(value, _Stats) else str(value)


class DashboardSubscriber(Subscriber):
    """Keeps every query's state for the dashboard (thread-safe: events
    arrive on the querying threads, requests on the server's)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queries: dict[str, dict[str, Any]] = {}

    def queries(self) -> dict[str, dict[str, Any]]:
        """The summaries (``/client/queries``)."""
        with self._lock:
            out = {}
            for qid, q in self._queries.items():
                end = q["state"].get("end_sec") or time.time()
                summary = {k: q[k] for k in ("id", "start_sec", "runner", "entrypoint", "python_version")}
                summary["daft_version"] = q["daft_version"]
                summary["status"] = {"status": q["state"]["status"], "duration_sec": end - q["start_sec"]}
                out[qid] = summary
            return out

    def query(self, query_id: str) -> dict[str, Any] | None:
        """One query in full (``/client/query/<id>``), or ``None``."""
        with self._lock:
            q = self._queries.get(query_id)
            if q is None:
                return None
            q = json.loads(json.dumps(q, default=_json_value))
        q["duration_sec"] = (q["state"].get("end_sec") or time.time()) - q["start_sec"]
        return q

    def _update(self, query_id: str, change: Any) -> None:
        with self._lock:
            q = self._queries.get(query_id)
            if q is not None:
                change(q)

    def on_query_started(self, event: QueryStarted) -> None:
        m = event.metadata
        now = time.time()
        with self._lock:
            self._queries[event.query_id] = {
                "id": event.query_id,
                "start_sec": now,
                "last_heartbeat_sec": now,
                "unoptimized_plan": m.unoptimized_plan,
                "runner": m.runner,
                "ray_dashboard_url": m.ray_dashboard_url,
                "entrypoint": m.entrypoint,
                "python_version": m.python_version,
                "daft_version": m.daft_version,
                "ray_version": m.ray_version,
                "state": {"status": "Pending"},
            }

    def on_query_heartbeat(self, event: QueryHeartbeat) -> None:
        self._update(event.query_id, lambda q: q.update(last_heartbeat_sec=time.time()))

    def on_optimization_started(self, event: OptimizationStarted) -> None:
        def change(q: dict[str, Any]) -> None:
            q["state"].update(status="Optimizing", plan_info={"plan_start_sec": time.time()})

        self._update(event.query_id, change)

    def on_optimization_completed(self, event: OptimizationCompleted) -> None:
        def change(q: dict[str, Any]) -> None:
            info = q["state"].setdefault("plan_info", {})
            info.update(plan_end_sec=time.time(), optimized_plan=event.optimized_plan)
            q["state"]["status"] = "Setup"

        self._update(event.query_id, change)

    def on_execution_started(self, event: ExecutionStarted) -> None:
        try:
            tree = json.loads(event.physical_plan)
        except ValueError:
            tree = None
        operators: dict[str, Any] = {}

        def walk(node: dict[str, Any]) -> None:
            children = node.get("children", [])
            operators[str(node["id"])] = {
                "status": "Pending",
                "node_info": {
                    "id": node["id"],
                    "name": node.get("name"),
                    "node_type": node.get("type"),
                    "node_category": node.get("category"),
                    "children": [c["id"] for c in children],
                },
                "stats": {},
            }
            for child in children:
                walk(child)

        if isinstance(tree, dict):
            walk(tree)

        def change(q: dict[str, Any]) -> None:
            q["state"]["status"] = "Executing"
            q["state"]["exec_info"] = {
                "exec_start_sec": time.time(),
                "physical_plan": event.physical_plan,
                "root": tree.get("id") if isinstance(tree, dict) else None,
                "operators": operators,
            }

        self._update(event.query_id, change)

    def _operator(self, q: dict[str, Any], node_id: int, name: str) -> dict[str, Any]:
        ops = q["state"].setdefault("exec_info", {}).setdefault("operators", {})
        default = {"status": "Pending", "node_info": {"id": node_id, "name": name, "children": []}, "stats": {}}
        return ops.setdefault(str(node_id), default)

    def on_operator_start(self, event: OperatorStarted) -> None:
        def change(q: dict[str, Any]) -> None:
            op = self._operator(q, event.node_id, event.name)
            op.update(status="Executing", start_sec=time.time())

        self._update(event.query_id, change)

    def on_stats(self, event: Stats) -> None:
        def change(q: dict[str, Any]) -> None:
            for node_id, stats in event.stats.items():
                op = self._operator(q, node_id, str(node_id))
                op["stats"] = _Stats(stats)

        self._update(event.query_id, change)

    def on_operator_end(self, event: OperatorFinished) -> None:
        def change(q: dict[str, Any]) -> None:
            self._operator(q, event.node_id, event.name).update(status="Finished", end_sec=time.time())

        self._update(event.query_id, change)

    def on_execution_finished(self, event: ExecutionFinished) -> None:
        self._update(event.query_id, lambda q: q["state"].update(exec_end_sec=time.time()))

    def on_query_finished(self, event: QueryFinished) -> None:
        status = {QueryEndState.Finished: "Finished", QueryEndState.Canceled: "Canceled"}.get(
            event.result.end_state, "Failed"
        )

        def change(q: dict[str, Any]) -> None:
            q["state"].update(status=status, end_sec=time.time(), error_message=event.result.error_message)

        self._update(event.query_id, change)
        with self._lock:
            ended = [qid for qid, q in self._queries.items() if q["state"].get("end_sec") is not None]
            for qid in ended[: max(0, len(ended) - MAX_QUERIES)]:
                del self._queries[qid]


def _page() -> bytes:
    return resources.files("ketch.subscribers").joinpath("dashboard.html").read_bytes()


def _handler(subscriber: DashboardSubscriber) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            path = self.path.split("?", 1)[0].rstrip("/") or "/"
            if path in ("/", "/queries") or path.startswith("/query/"):
                self._send(HTTPStatus.OK, "text/html; charset=utf-8", _page())
            elif path == "/client/queries":
                self._json(subscriber.queries())
            elif path.startswith("/client/query/"):
                query = subscriber.query(path.removeprefix("/client/query/"))
                if query is None:
                    self._send(HTTPStatus.NOT_FOUND, "application/json", b'{"error": "no such query"}')
                else:
                    self._json(query)
            else:
                self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found")

        def _json(self, value: Any) -> None:
            self._send(HTTPStatus.OK, "application/json", json.dumps(value, default=str).encode())

        def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # no request log on the user's terminal

    return Handler


class ConnectionHandle:
    """The running dashboard (Daft's ``ConnectionHandle``):
    :meth:`get_port`, :meth:`shutdown`, and ``url``."""

    def __init__(self, server: ThreadingHTTPServer, thread: threading.Thread) -> None:
        self._server, self._thread = server, thread
        self._stopped = False

    def get_port(self) -> int:
        """The port the server listens on (on 127.0.0.1)."""
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The dashboard's address, ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.get_port()}"

    def shutdown(self, noop_if_shutdown: bool = False) -> None:
        """Stops the server and detaches its subscriber. Raises
        ``RuntimeError`` if it was already stopped, unless ``noop_if_shutdown``."""
        global _HANDLE
        if self._stopped:
            if noop_if_shutdown:
                return
            raise RuntimeError("The dashboard server is already shut down")
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        if _HANDLE is self:
            _HANDLE = None
            try:
                get_context().detach_subscriber(_ALIAS)
            except ValueError:
                pass


_HANDLE: ConnectionHandle | None = None


def launch(noop_if_initialized: bool = False, port: int | None = None) -> ConnectionHandle:
    """Starts the dashboard on 127.0.0.1 at ``port`` (default 3238; 0 picks
    a free one) and returns its handle; queries run from now on appear in
    it. Raises ``RuntimeError("Server is already running")`` when one runs,
    unless ``noop_if_initialized`` (then returns that one), ``ValueError``
    for a port outside 0-65535 and ``OSError`` when the port is taken.

    >>> import urllib.request, json, ketch
    >>> from ketch.subscribers import launch
    >>> handle = launch(port=0)
    >>> _ = ketch.from_pydict({"a": [1, 2]}).where(ketch.col("a") > 1).collect()
    >>> queries = json.load(urllib.request.urlopen(handle.url + "/client/queries"))
    >>> [q["status"]["status"] for q in queries.values()]
    ['Finished']
    >>> handle.shutdown()
    """
    global _HANDLE
    if _HANDLE is not None:
        if noop_if_initialized:
            return _HANDLE
        raise RuntimeError("Server is already running")
    if port is None:
        port = DEFAULT_PORT
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an int from 0 to 65535, got {port!r}")
    subscriber = DashboardSubscriber()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(subscriber))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="ketch-dashboard", daemon=True)
    thread.start()
    get_context().attach_subscriber(_ALIAS, subscriber)
    _HANDLE = ConnectionHandle(server, thread)
    atexit.register(_HANDLE.shutdown, noop_if_shutdown=True)
    return _HANDLE
