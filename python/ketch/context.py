"""Execution configuration and the runner (Daft 0.7.26's ``daft.context``).

One process-wide context holds the settings every query runs under:
``default_morsel_size`` (rows per batch) and the native runner's thread count.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from collections.abc import Iterator

from ketch._native import PySession


@dataclasses.dataclass(frozen=True)
class ExecutionConfig:
    """Settings for running queries. ``default_morsel_size``: rows per batch
    (None: the engine default, 8192)."""

    default_morsel_size: int | None = None


@dataclasses.dataclass
class Runner:
    name: str
    num_threads: int | None = None


class DaftContext:
    """The process-wide context: execution config, runner, and the session built from them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config = ExecutionConfig()
        self._runner = Runner("native", None)
        self._session: PySession | None = None

    @property
    def daft_execution_config(self) -> ExecutionConfig:
        return self._config

    def get_or_create_runner(self) -> Runner:
        return self._runner

    def _session_for(self) -> PySession:
        with self._lock:
            if self._session is None:
                self._session = PySession(self._config.default_morsel_size, self._runner.num_threads)
            return self._session

    def _set(self, config: ExecutionConfig | None = None, runner: Runner | None = None) -> None:
        with self._lock:
            if config is not None:
                self._config = config
            if runner is not None:
                self._runner = runner
            self._session = None


_CONTEXT = DaftContext()


def get_context() -> DaftContext:
    """The process-wide :class:`DaftContext`."""
    return _CONTEXT


def _session() -> PySession:
    return _CONTEXT._session_for()


def set_execution_config(config: ExecutionConfig | None = None, **kwargs) -> DaftContext:
    """Sets execution options for later queries; keyword arguments override
    fields of ``config`` (or of the current config). Unknown options raise
    ``ValueError``."""
    base = config or _CONTEXT._config
    names = {f.name for f in dataclasses.fields(ExecutionConfig)}
    unknown = sorted(set(kwargs) - names)
    if unknown:
        raise ValueError(f"unknown execution config option(s) {unknown}; supported: {sorted(names)}")
    size = kwargs.get("default_morsel_size", base.default_morsel_size)
    if size is not None and (not isinstance(size, int) or size < 1):
        raise ValueError(f"default_morsel_size must be a positive int, got {size!r}")
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


def set_runner_native(num_threads: int | None = None) -> DaftContext:
    """Runs queries on this machine with ``num_threads`` parallel partitions
    (default: all cores)."""
    if num_threads is not None and (not isinstance(num_threads, int) or num_threads < 1):
        raise ValueError(f"num_threads must be a positive int, got {num_threads!r}")
    _CONTEXT._set(runner=Runner("native", num_threads))
    return _CONTEXT


def _default_threads() -> int:
    return os.cpu_count() or 1
