"""The events a query emits to subscribers (Daft 0.7.26's
``daft.subscribers.events`` and the ``PyQueryMetadata``/``PyQueryResult``
classes they carry), in the order a query emits them: ``QueryStarted``,
``OptimizationStarted``, ``OptimizationCompleted``, ``ExecutionStarted``,
``OperatorStarted`` (per operator), ``Stats``/``QueryHeartbeat`` while it
runs (every half second), ``Stats`` and ``OperatorFinished`` per operator,
``ExecutionFinished``, ``QueryFinished``.

``Stats.stats`` maps an operator's id to its metrics, ``{name: (StatType,
value)}``: counts are ints, ``duration`` (CPU time) and ``wall`` are
``datetime.timedelta``, bytes are ints.
"""

from __future__ import annotations

import enum
from abc import ABC
from dataclasses import dataclass
from typing import Any


class StatType(enum.Enum):
    """The kind of a metric value (Daft's ``daft.daft.StatType``)."""

    COUNT = 0
    BYTES = 1
    PERCENT = 2
    FLOAT = 3
    DURATION = 5


class QueryEndState(enum.Enum):
    """How a query ended (Daft's ``daft.daft.QueryEndState``)."""

    Finished = 0
    Canceled = 1
    Failed = 2


@dataclass(frozen=True)
class PyQueryMetadata:
    """What is known of a query when it starts (Daft's ``PyQueryMetadata``):
    ``output_schema`` (a :class:`ketch.Schema`), ``unoptimized_plan`` (text),
    ``runner`` (``"Native (ketch)"``), the script or notebook that ran it,
    and the versions of Python and ketch (``daft_version``)."""

    output_schema: Any
    unoptimized_plan: str
    runner: str
    ray_dashboard_url: str | None = None
    entrypoint: str | None = None
    python_version: str | None = None
    daft_version: str | None = None
    ray_version: str | None = None


@dataclass(frozen=True)
class PyQueryResult:
    """How a query ended (Daft's ``PyQueryResult``): ``end_state`` and
    Daft's message: ``"Query finished"``, ``"Query canceled by the user"``,
    or the error of a failed query."""

    end_state: QueryEndState
    error_message: str | None = None


class Event(ABC):  # noqa: B024 (a marker base class, as in Daft)
    """Base class for subscriber execution events."""


@dataclass(frozen=True)
class QueryStarted(Event):
    query_id: str
    metadata: PyQueryMetadata


@dataclass(frozen=True)
class QueryHeartbeat(Event):
    query_id: str


@dataclass(frozen=True)
class QueryFinished(Event):
    query_id: str
    result: PyQueryResult
    duration_ms: float | None


@dataclass(frozen=True)
class OptimizationStarted(Event):
    query_id: str


@dataclass(frozen=True)
class OptimizationCompleted(Event):
    query_id: str
    optimized_plan: str


@dataclass(frozen=True)
class ExecutionStarted(Event):
    query_id: str
    physical_plan: str


@dataclass(frozen=True)
class ExecutionFinished(Event):
    query_id: str
    duration_ms: float | None


@dataclass(frozen=True)
class OperatorStarted(Event):
    query_id: str
    node_id: int
    name: str
    origin_node_id: int | None = None


@dataclass(frozen=True)
class OperatorFinished(Event):
    query_id: str
    node_id: int
    name: str
    origin_node_id: int | None = None


@dataclass(frozen=True)
class Stats(Event):
    query_id: str
    stats: dict[int, dict[str, tuple[StatType, Any]]]


@dataclass(frozen=True)
class ProcessStats(Event):
    query_id: str
    stats: dict[str, tuple[StatType, Any]]
