"""Execution and planning configuration (Daft 0.7.26's ``daft.context``).

One process-wide context holds the settings every query runs under:
``default_morsel_size`` (rows per batch), the native runner's thread count,
the planning config's ``default_io_config`` (storage access for every
reader, writer and ``download`` not given an ``io_config``), the event log
config, and the subscribers that listen to queries. The runner that runs
queries is chosen in :mod:`ketch.runners`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import threading
import warnings
from collections.abc import Iterator
from typing import Any

from ketch import io_config as _io_config
from ketch._native import PySession, record_udf_failed_rows
from ketch.exceptions import DaftCoreException
from ketch.io_config import IOConfig

_MiB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class ExecutionConfig:
    """Settings for running queries: every option of Daft 0.7.26's
    ``PyDaftExecutionConfig`` with Daft's default, plus ketch's own.

    What each does here:

    - ``default_morsel_size``: rows per batch (None: the engine default,
      8192, measured on this engine; Daft's is 131072).
    - ``broadcast_join_size_bytes_threshold`` (1 MiB; Daft's is 10 MiB,
      measured 3% slower here, benchmarks/RESULTS.md): a hash join whose
      build side is estimated below this reads it whole into every
      partition instead of hash-partitioning both sides (DataFusion's
      ``hash_join_single_partition_threshold``).
    - ``high_cardinality_aggregation_threshold`` (0.8): an aggregation whose
      first rows make more than this share of distinct groups stops
      pre-aggregating (DataFusion's
      ``skip_partial_aggregation_probe_ratio_threshold``).
    - ``num_preview_rows`` (8): rows a collected DataFrame shows.
    - Writes: a file holds about ``<format>_target_filesize`` bytes on disk,
      estimated as that many bytes times ``<format>_inflation_factor`` of
      in-memory (Arrow) data; Parquet row groups likewise hold about
      ``parquet_target_row_group_size`` bytes.
    - ``read_sql_partition_size_bytes`` (512 MiB): ``read_sql`` with a
      ``partition_col`` and no ``num_partitions`` runs one query per this
      many estimated bytes of rows.
    - ``maintain_order`` (True): ketch always returns rows in the
      DataFrame's order, which is also a valid answer when ``False`` asks
      for none.
    - No effect in ketch, accepted and checked as Daft checks them, because
      they tune machinery ketch does not have: scan-task splitting and
      merging (``enable_scan_task_split_and_merge``,
      ``scan_tasks_min_size_bytes``, ``scan_tasks_max_size_bytes``,
      ``max_sources_per_scan_task``, ``parquet_split_row_groups_max_files``,
      ``scantask_max_parallel``: DataFusion splits file scans by byte ranges
      across the runner's threads itself); the Ray runner's shuffles and
      sorts (``hash_join_partition_size_leniency``, ``sample_size_for_sort``,
      ``shuffle_aggregation_default_partitions``, ``shuffle_algorithm``,
      ``pre_shuffle_merge_threshold``,
      ``pre_shuffle_merge_partition_threshold``, ``flight_shuffle_dirs``,
      ``flight_shuffle_compression``, ``enable_multi_glob_path_tasks``,
      ``actor_udf_ready_timeout``, ``min_cpu_per_task``, deprecated in Daft
      too); Daft's partial-aggregation row threshold
      (``partial_aggregation_threshold``: DataFusion decides from
      ``high_cardinality_aggregation_threshold`` above); the choice of
      Parquet writer (``native_parquet_writer``: ketch has one writer, the
      files are the same); ``text_inflation_factor`` (no text writer);
      dynamic UDF batching (``enable_dynamic_batching``,
      ``dynamic_batching_strategy``: UDF batches are the morsel size or the
      UDF's ``batch_size``). None of them changes a result.

    ``progress_bar`` (ketch's; Daft reads only ``DAFT_PROGRESS_BAR``): a
    progress bar per running operator. ``None``: shown when stderr is a
    terminal or in a notebook, unless ``DAFT_PROGRESS_BAR`` (or
    ``KETCH_PROGRESS_BAR``) is ``0``; ``True``: always; ``False``: never.

    Memory (ketch's; Daft has no limit): ``memory_limit`` is the bytes the
    operators of all running queries may hold at once, an int or a string
    such as ``"4GiB"`` or ``"512MB"`` (stored as bytes). ``None``: the
    ``KETCH_MEMORY_LIMIT`` environment variable if set, else half of the
    machine's memory (or of the process's cgroup limit). Sort, aggregation,
    sort-merge join and repartition spill to files under ``spill_dir``
    (``None``: ``KETCH_SPILL_DIR``, else the system's temporary folder) when
    they reach their share; a query that cannot fit raises
    :class:`ketch.exceptions.MemoryLimitError`.

    >>> import ketch
    >>> config = ketch.get_context().daft_execution_config
    >>> config.broadcast_join_size_bytes_threshold, config.shuffle_algorithm, config.maintain_order
    (1048576, 'auto', True)
    """

    enable_scan_task_split_and_merge: bool = False
    scan_tasks_min_size_bytes: int = 96 * _MiB
    scan_tasks_max_size_bytes: int = 384 * _MiB
    max_sources_per_scan_task: int = 10
    broadcast_join_size_bytes_threshold: int = 1 * _MiB
    parquet_split_row_groups_max_files: int = 10
    hash_join_partition_size_leniency: float = 0.5
    sample_size_for_sort: int = 20
    num_preview_rows: int = 8
    parquet_target_filesize: int = 512 * _MiB
    parquet_target_row_group_size: int = 128 * _MiB
    parquet_inflation_factor: float = 3.0
    csv_target_filesize: int = 512 * _MiB
    csv_inflation_factor: float = 0.5
    json_target_filesize: int = 512 * _MiB
    json_inflation_factor: float = 0.25
    text_inflation_factor: float = 1.0
    shuffle_aggregation_default_partitions: int = 200
    partial_aggregation_threshold: int = 10_000
    high_cardinality_aggregation_threshold: float = 0.8
    read_sql_partition_size_bytes: int = 512 * _MiB
    default_morsel_size: int | None = None
    shuffle_algorithm: str = "auto"
    pre_shuffle_merge_threshold: int = 1024 * _MiB
    pre_shuffle_merge_partition_threshold: int = 200
    scantask_max_parallel: int = 8
    native_parquet_writer: bool = True
    min_cpu_per_task: float = 0.5
    actor_udf_ready_timeout: int = 120
    maintain_order: bool = True
    enable_dynamic_batching: bool = False
    dynamic_batching_strategy: str = "auto"
    flight_shuffle_dirs: tuple[str, ...] = ("/tmp",)
    flight_shuffle_compression: str = "lz4"
    enable_multi_glob_path_tasks: bool = False
    memory_limit: int | None = None
    spill_dir: str | None = None
    progress_bar: bool | None = None


# Options checked against a fixed set of values, with Daft's messages.
_CHOICES = {
    "shuffle_algorithm": (
        ("auto", "map_reduce", "pre_shuffle_merge", "flight_shuffle"),
        "shuffle_algorithm must be 'auto', 'map_reduce', 'pre_shuffle_merge', or 'flight_shuffle'",
    ),
    "dynamic_batching_strategy": (
        ("auto", "latency_constrained"),
        "dynamic_batching_strategy must be 'auto' or 'latency_constrained'",
    ),
}


def _check_option(name: str, value: Any) -> Any:
    """``value`` for execution option ``name``, checked as Daft checks it:
    ``TypeError`` for a value of the wrong type, ``OverflowError`` for a
    negative size or count, ``ValueError`` for a value outside the choices."""
    kind = ExecutionConfig.__dataclass_fields__[name].type
    if kind == "bool" and not isinstance(value, bool):
        raise TypeError(f"{name}: '{type(value).__name__}' object is not an instance of 'bool'")
    if kind in ("int", "int | None"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name}: '{type(value).__name__}' object cannot be interpreted as an integer")
        if value < 0:
            raise OverflowError(f"{name}: can't convert negative int to unsigned")
    if kind == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise TypeError(f"{name}: must be real number, not {type(value).__name__}")
    if name in _CHOICES and value not in _CHOICES[name][0]:
        raise ValueError(_CHOICES[name][1])
    if name == "flight_shuffle_dirs":
        if isinstance(value, str) or not all(isinstance(d, str) for d in value):
            raise TypeError(f"flight_shuffle_dirs must be a list of folder paths, got {value!r}")
        if not value:
            raise ValueError("flight_shuffle_dirs must not be empty")
        value = tuple(value)
    if name == "flight_shuffle_compression" and value not in ("lz4", "zstd", "none"):
        raise ValueError(f"flight_shuffle_compression must be 'lz4', 'zstd', or 'none' (got '{value}')")
    if name == "high_cardinality_aggregation_threshold" and not 0 <= value <= 1:
        raise ValueError(f"high_cardinality_aggregation_threshold must be from 0 to 1, got {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class EventLogConfig:
    """Whether queries write an event log and where (Daft's
    ``PyDaftEventLogConfig``): ``enabled`` (default: the
    ``DAFT_EVENT_LOG_ENABLED`` environment variable, else off) and ``path``,
    the folder (default: ``DAFT_EVENT_LOG_DIR``, else ``~/.daft/events``).
    See :mod:`ketch.subscribers.event_log` for the format."""

    enabled: bool = False
    path: str = "~/.daft/events"

    @staticmethod
    def from_env() -> EventLogConfig:
        enabled = os.environ.get("DAFT_EVENT_LOG_ENABLED", "").strip().lower() in ("1", "true", "yes", "on")
        return EventLogConfig(enabled, os.environ.get("DAFT_EVENT_LOG_DIR") or "~/.daft/events")

    def with_config_values(self, enabled: bool | None = None, path: str | None = None) -> EventLogConfig:
        if enabled is not None and not isinstance(enabled, bool):
            raise TypeError(f"enabled must be a bool, got {enabled!r}")
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a folder path, got {path!r}")
        return EventLogConfig(
            self.enabled if enabled is None else enabled, self.path if path is None else os.fspath(path)
        )


@dataclasses.dataclass(frozen=True)
class PlanningConfig:
    """Settings for building queries (Daft's ``PyDaftPlanningConfig``).
    ``default_io_config``: the :class:`ketch.io.IOConfig` used when a call is
    given none."""

    default_io_config: Any = None
    enable_strict_filter_pushdown: bool = False

    def __post_init__(self) -> None:
        if self.default_io_config is None:
            object.__setattr__(self, "default_io_config", IOConfig())


class DaftContext:
    """The process-wide context: execution and planning config, and the
    engine session built from them (which plans queries and which the native
    runner runs them in)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config = ExecutionConfig()
        self._planning = PlanningConfig()
        self._num_threads: int | None = None
        self._session: PySession | None = None
        self._event_log = EventLogConfig.from_env()
        self._subscribers: dict[str, Any] = {}

    @property
    def daft_execution_config(self) -> ExecutionConfig:
        return self._config

    @property
    def daft_planning_config(self) -> PlanningConfig:
        return self._planning

    @property
    def daft_event_log_config(self) -> EventLogConfig:
        return self._event_log

    def attach_subscriber(self, alias: str, subscriber: Any) -> None:
        """Attaches ``subscriber`` (a :class:`ketch.subscribers.Subscriber`)
        under ``alias``, replacing one attached under it before; it receives
        the events of every later query. Raises ``TypeError`` for an object
        without ``on_event``."""
        if not isinstance(alias, str):
            raise TypeError(f"alias must be a str, got {alias!r}")
        if not callable(getattr(subscriber, "on_event", None)):
            raise TypeError(f"subscriber must be a ketch.subscribers.Subscriber, got {type(subscriber).__name__}")
        with self._lock:
            self._subscribers[alias] = subscriber

    def detach_subscriber(self, alias: str) -> None:
        """Detaches the subscriber attached under ``alias`` and calls its
        ``close()``. Raises ``DaftCoreException`` when there is none (as Daft)."""
        with self._lock:
            subscriber = self._subscribers.pop(alias, None)
        if subscriber is None:
            raise DaftCoreException(f"DaftError::ValueError Subscriber `{alias}` not found in this context")
        close = getattr(subscriber, "close", None)
        if callable(close):
            close()

    def _attached_subscribers(self) -> list[Any]:
        with self._lock:
            return list(self._subscribers.values())

    def _session_for(self) -> PySession:
        with self._lock:
            if self._session is None:
                config = self._config
                memory_limit = config.memory_limit
                if memory_limit is None and os.environ.get("KETCH_MEMORY_LIMIT"):
                    memory_limit = parse_bytes(os.environ["KETCH_MEMORY_LIMIT"], "KETCH_MEMORY_LIMIT")
                spill_dir = config.spill_dir
                if spill_dir is None and os.environ.get("KETCH_SPILL_DIR"):
                    spill_dir = _spill_dir(os.environ["KETCH_SPILL_DIR"])
                self._session = PySession(
                    config.default_morsel_size,
                    self._num_threads,
                    memory_limit,
                    spill_dir,
                    config.broadcast_join_size_bytes_threshold,
                    config.high_cardinality_aggregation_threshold,
                )
            return self._session

    def _set(self, config: ExecutionConfig | None = None, num_threads: int | None = None) -> None:
        with self._lock:
            if config is not None:
                self._config = config
            else:
                self._num_threads = num_threads
            self._session = None


_CONTEXT = DaftContext()


def attach_subscriber(alias: str, subscriber: Any) -> DaftContext:
    """Attaches ``subscriber`` to the context under ``alias`` (see
    :meth:`DaftContext.attach_subscriber`); returns the context.

    >>> import ketch
    >>> from ketch.subscribers import Subscriber
    >>> class Count(Subscriber):
    ...     queries = 0
    ...     def on_query_started(self, event):
    ...         Count.queries += 1
    >>> _ = ketch.attach_subscriber("count", Count())
    >>> _ = ketch.from_pydict({"a": [1, 2]}).where(ketch.col("a") > 1).collect()
    >>> ketch.detach_subscriber("count")
    >>> Count.queries
    1
    """
    _CONTEXT.attach_subscriber(alias, subscriber)
    return _CONTEXT


def detach_subscriber(alias: str) -> None:
    """Detaches the subscriber attached under ``alias``; raises
    ``DaftCoreException`` when there is none.

    >>> import ketch
    >>> ketch.detach_subscriber("nobody")
    Traceback (most recent call last):
    ...
    ketch.exceptions.DaftCoreException: DaftError::ValueError Subscriber `nobody` not found in this context
    """
    _CONTEXT.detach_subscriber(alias)


@contextlib.contextmanager
def with_subscriber(alias: str, subscriber: Any) -> Iterator[None]:
    """Attaches ``subscriber`` under ``alias`` for the ``with`` block, then
    detaches it (see :class:`ketch.subscribers.Subscriber` for an example)."""
    _CONTEXT.attach_subscriber(alias, subscriber)
    try:
        yield
    finally:
        _CONTEXT.detach_subscriber(alias)


def set_event_log_config(
    config: EventLogConfig | None = None, enabled: bool | None = None, path: str | os.PathLike | None = None
) -> DaftContext:
    """Sets whether later queries write an event log (``enabled``) and in
    which folder (``path``); arguments left ``None`` keep the current value
    (or ``config``'s). Each query then writes
    ``<path>/<query_id>/events.jsonl`` (:mod:`ketch.subscribers.event_log`).
    Raises ``TypeError`` for an ``enabled`` that is not a bool.

    >>> import ketch
    >>> ketch.set_event_log_config(enabled=True, path="/tmp/events").daft_event_log_config
    EventLogConfig(enabled=True, path='/tmp/events')
    >>> _ = ketch.set_event_log_config(enabled=False)
    """
    with _CONTEXT._lock:
        base = config if config is not None else _CONTEXT._event_log
        _CONTEXT._event_log = base.with_config_values(enabled=enabled, path=path)
    return _CONTEXT


@contextlib.contextmanager
def event_log_ctx(path: str | os.PathLike | None = None, *, enabled: bool = True) -> Iterator[None]:
    """Writes the event log of the queries run in the ``with`` block (to
    ``path``, default the configured folder), then restores the config.

    >>> import os, tempfile, ketch
    >>> folder = tempfile.mkdtemp()
    >>> with ketch.event_log_ctx(folder):
    ...     _ = ketch.from_pydict({"a": [1, 2]}).where(ketch.col("a") > 1).collect()
    >>> len(os.listdir(folder))
    1
    """
    old = _CONTEXT._event_log
    set_event_log_config(enabled=enabled, path=path)
    try:
        yield
    finally:
        set_event_log_config(config=old)


class FailedRows:
    """Rows set to null by ``on_error='log'|'ignore'``, per UDF, since the last report.
    UDF execution (:mod:`ketch.udf.execution`) counts them; the runner reports them
    after each query."""

    _lock = threading.Lock()
    _counts: dict[str, int] = {}

    @classmethod
    def add(cls, name: str, rows: int) -> None:
        with cls._lock:
            cls._counts[name] = cls._counts.get(name, 0) + rows
        # Also the `udf.rows.failed` metric of the operator calling the UDF
        # (counted on this thread: the engine's thread running the call).
        record_udf_failed_rows(rows)

    @classmethod
    def take(cls) -> dict[str, int]:
        """The counts since the last call, cleared."""
        with cls._lock:
            counts, cls._counts = cls._counts, {}
        return counts

    @classmethod
    def report(cls) -> None:
        """Warns once per UDF that had failures (``UserWarning``), then starts counting anew."""
        for name, rows in cls.take().items():
            warnings.warn(
                f"User-defined function `{name}` failed on {rows} row(s); they are null (on_error)", stacklevel=3
            )


def get_context() -> DaftContext:
    """The process-wide :class:`DaftContext`."""
    return _CONTEXT


# ``io_config_json(None)`` (in the lower module ketch.io_config) reads the default from here.
_io_config._default_io_config = lambda: get_context().daft_planning_config.default_io_config


def _session() -> PySession:
    """The engine session: plans are built in it and the native runner runs them in it."""
    return _CONTEXT._session_for()


def _runner_changed(num_threads: int | None) -> None:
    """The native runner's thread count changed (``set_runner_native``)."""
    _CONTEXT._set(num_threads=num_threads)


_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1000,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1000**3,
    "gib": 1024**3,
    "t": 1024**4,
    "tb": 1000**4,
    "tib": 1024**4,
}


def parse_bytes(value: int | str, name: str = "memory_limit") -> int:
    """A size in bytes from an int or a string with a unit, as DuckDB and
    Spark accept them: ``"4GiB"`` (1024-based), ``"4GB"`` (1000-based, as
    DuckDB), ``"512m"`` (a bare letter is 1024-based, as Spark). Raises
    ``ValueError`` naming ``name`` for anything else or a size below 1 byte.

    >>> from ketch.context import parse_bytes
    >>> parse_bytes("4GiB"), parse_bytes("1.5 MB"), parse_bytes(1024)
    (4294967296, 1500000, 1024)
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{name} must be a number of bytes or a string like '4GiB', got {value!r}")
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", value)
        unit = match and _UNITS.get(match.group(2).lower())
        if not match or unit is None:
            raise ValueError(
                f"{name} must be a number of bytes or a string like '4GiB', '512MB' (units B, KB, MB, GB, TB, "
                f"KiB, MiB, GiB, TiB), got {value!r}"
            )
        value = int(float(match.group(1)) * unit)
    if value < 1:
        raise ValueError(f"{name} must be at least 1 byte, got {value!r}")
    return value


def _spill_dir(path: str | os.PathLike) -> str:
    """``path`` as a folder for spill files, created if missing; raises
    ``ValueError`` naming it when it cannot be."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"spill_dir must be a folder path, got {path!r}")
    path = os.fspath(path)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise ValueError(f"spill_dir {path!r} is not a folder that can be created: {e}") from e
    return path


def set_execution_config(config: ExecutionConfig | None = None, **kwargs) -> DaftContext:
    """Sets execution options for later queries (see :class:`ExecutionConfig`
    for each and what it does in ketch); keyword arguments override fields of
    ``config`` (or of the current config); ``None`` leaves an option as it
    is, as in Daft. Raises ``TypeError`` for an unknown option or a value of
    the wrong type, ``OverflowError`` for a negative size, ``ValueError`` for
    a value Daft does not accept; ``min_cpu_per_task`` warns that it is
    deprecated, as Daft does.

    >>> import ketch
    >>> with ketch.execution_config_ctx(enable_dynamic_batching=True, maintain_order=False):
    ...     ketch.get_context().daft_execution_config.enable_dynamic_batching
    True
    >>> ketch.set_execution_config(shuffle_algorithm="bogus")
    Traceback (most recent call last):
    ...
    ValueError: shuffle_algorithm must be 'auto', 'map_reduce', 'pre_shuffle_merge', or 'flight_shuffle'
    """
    base = config or _CONTEXT._config
    names = {f.name for f in dataclasses.fields(ExecutionConfig)}
    unknown = sorted(set(kwargs) - names)
    if unknown:
        raise TypeError(f"unknown execution config option(s) {unknown}; supported: {sorted(names)}")
    # `None` keeps the current value (Daft's signature), except where None
    # is itself a setting (the engine default, or "decide for me").
    nullable = {"default_morsel_size", "memory_limit", "spill_dir", "progress_bar"}
    kwargs = {k: v for k, v in kwargs.items() if v is not None or k in nullable}
    if kwargs.get("min_cpu_per_task") is not None:
        warnings.warn(
            "`min_cpu_per_task` is deprecated as of v0.7.0 and has no effect on distributed scheduling. "
            "It will be removed from v0.8.0 onwards.",
            DeprecationWarning,
            stacklevel=2,
        )
    for name, value in list(kwargs.items()):
        if value is not None and name not in ("memory_limit", "spill_dir", "progress_bar"):
            kwargs[name] = _check_option(name, value)
    if kwargs.get("memory_limit") is not None:
        kwargs["memory_limit"] = parse_bytes(kwargs["memory_limit"], "memory_limit")
    if kwargs.get("spill_dir") is not None:
        kwargs["spill_dir"] = _spill_dir(kwargs["spill_dir"])
    if kwargs.get("progress_bar") is not None and not isinstance(kwargs["progress_bar"], bool):
        raise ValueError(f"progress_bar must be a bool or None, got {kwargs['progress_bar']!r}")
    size = kwargs.get("default_morsel_size", base.default_morsel_size)
    if size is not None and (not isinstance(size, int) or size < 1):
        raise ValueError(f"default_morsel_size must be positive and non-zero, got {size!r}")
    for name, value in kwargs.items():
        if name.endswith(("_filesize", "_size")) and name != "default_morsel_size":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int (bytes), got {value!r}")
        if name.endswith("_factor") and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    _CONTEXT._set(config=dataclasses.replace(base, **kwargs))
    return _CONTEXT


@contextlib.contextmanager
def execution_config_ctx(config: ExecutionConfig | None = None, **kwargs) -> Iterator[None]:
    """Temporarily sets execution options (as :func:`set_execution_config`)."""
    old = _CONTEXT._config
    set_execution_config(config, **kwargs)
    try:
        yield
    finally:
        _CONTEXT._set(config=old)


def set_planning_config(
    config: PlanningConfig | None = None,
    default_io_config: Any = None,
    enable_strict_filter_pushdown: bool | None = None,
) -> DaftContext:
    """Sets planning options for later calls: ``default_io_config`` (an
    :class:`ketch.io.IOConfig`) is used by readers, writers and ``download``
    when they are given no ``io_config``. Raises ``TypeError`` for a
    ``default_io_config`` that is not an ``IOConfig``."""
    base = config or _CONTEXT._planning
    changes: dict[str, Any] = {}
    if default_io_config is not None:
        if not isinstance(default_io_config, IOConfig):
            raise TypeError(f"default_io_config must be an IOConfig, got {type(default_io_config).__name__}")
        changes["default_io_config"] = default_io_config
    if enable_strict_filter_pushdown is not None:
        changes["enable_strict_filter_pushdown"] = bool(enable_strict_filter_pushdown)
    _CONTEXT._planning = dataclasses.replace(base, **changes)
    return _CONTEXT


@contextlib.contextmanager
def planning_config_ctx(**kwargs: Any) -> Iterator[None]:
    """Temporarily sets planning options (as :func:`set_planning_config`)."""
    old = _CONTEXT._planning
    set_planning_config(**kwargs)
    try:
        yield
    finally:
        _CONTEXT._planning = old
