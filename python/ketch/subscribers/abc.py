"""The subscriber interface (Daft 0.7.26's ``daft.subscribers.abc``): an
object attached with :func:`ketch.attach_subscriber` receives every query's
lifecycle events (:mod:`ketch.subscribers.events`)."""

# Daft's Subscriber is an ABC whose callbacks all default to doing nothing:
# subclasses override the ones they need (hence no abstract methods).
# ruff: noqa: B024, B027

from __future__ import annotations

import warnings
from abc import ABC
from functools import singledispatchmethod

from ketch.subscribers.events import (
    Event,
    ExecutionFinished,
    ExecutionStarted,
    OperatorFinished,
    OperatorStarted,
    OptimizationCompleted,
    OptimizationStarted,
    ProcessStats,
    PyQueryMetadata,
    PyQueryResult,
    QueryFinished,
    QueryHeartbeat,
    QueryStarted,
    Stats,
    StatType,
)


class Subscriber(ABC):
    """Listens to queries: override the ``on_*`` methods of the events of
    interest (all do nothing by default), or :meth:`on_event` for all.
    Called on the thread that runs the query, between its batches' work (no
    engine thread waits on it); an exception it raises is logged and
    ignored, never failing the query.

    >>> import ketch
    >>> from ketch.subscribers import Subscriber
    >>> class Rows(Subscriber):
    ...     def __init__(self):
    ...         self.finished = []
    ...     def on_query_finished(self, event):
    ...         self.finished.append(event.result.end_state.name)
    >>> rows = Rows()
    >>> with ketch.with_subscriber("rows", rows):
    ...     _ = ketch.from_pydict({"a": [1, 2]}).where(ketch.col("a") > 1).collect()
    >>> rows.finished
    ['Finished']
    """

    @singledispatchmethod
    def on_event(self, event: Event) -> None:
        """Unified dispatch for execution events."""
        warnings.warn(f"Unhandled event type: {type(event).__name__}", stacklevel=2)

    def close(self) -> None:
        """Called when the subscriber is detached or the process is shutting down."""

    @on_event.register
    def _(self, event: QueryStarted) -> None:
        self.on_query_started(event)

    @on_event.register
    def _(self, event: QueryHeartbeat) -> None:
        self.on_query_heartbeat(event)

    @on_event.register
    def _(self, event: QueryFinished) -> None:
        self.on_query_finished(event)

    @on_event.register
    def _(self, event: OptimizationStarted) -> None:
        self.on_optimization_started(event)

    @on_event.register
    def _(self, event: OptimizationCompleted) -> None:
        self.on_optimization_completed(event)

    @on_event.register
    def _(self, event: ExecutionStarted) -> None:
        self.on_execution_started(event)

    @on_event.register
    def _(self, event: ExecutionFinished) -> None:
        self.on_execution_finished(event)

    @on_event.register
    def _(self, event: ProcessStats) -> None:
        self.on_process_stats(event)

    @on_event.register
    def _(self, event: OperatorStarted) -> None:
        self.on_operator_start(event)

    @on_event.register
    def _(self, event: OperatorFinished) -> None:
        self.on_operator_end(event)

    @on_event.register
    def _(self, event: Stats) -> None:
        self.on_stats(event)

    def on_operator_start(self, event: OperatorStarted) -> None:
        """Called when an operator has started executing."""

    def on_operator_end(self, event: OperatorFinished) -> None:
        """Called when an operator has completed."""

    def on_stats(self, event: Stats) -> None:
        """Called with the stats of the running operators of a query."""

    def on_query_started(self, event: QueryStarted) -> None:
        """Called when starting the run for a new query."""

    def on_query_heartbeat(self, event: QueryHeartbeat) -> None:
        """Called regularly while a query is running."""

    def on_query_finished(self, event: QueryFinished) -> None:
        """Called when a query has completed."""

    def on_optimization_completed(self, event: OptimizationCompleted) -> None:
        """Called when planning for a query has completed."""

    def on_optimization_started(self, event: OptimizationStarted) -> None:
        """Called when planning for a query starts."""

    def on_execution_started(self, event: ExecutionStarted) -> None:
        """Called when starting to execute a query."""

    def on_execution_finished(self, event: ExecutionFinished) -> None:
        """Called when a query has finished executing."""

    def on_query_start(self, query_id: str, metadata: PyQueryMetadata) -> None:
        """Called when starting the run for a new query (Daft's older spelling)."""
        self.on_query_started(QueryStarted(query_id=query_id, metadata=metadata))

    def on_query_end(self, query_id: str, result: PyQueryResult) -> None:
        """Called when a query has completed (Daft's older spelling)."""
        self.on_query_finished(QueryFinished(query_id=query_id, result=result, duration_ms=None))

    def on_process_stats(self, event: ProcessStats) -> None:
        """Called with process-level stats on each tick."""


__all__ = ["StatType", "Subscriber"]
