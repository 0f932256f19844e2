"""Runners: where queries run (Daft 0.7.26's ``daft.runners``).

The runner is chosen once per process, as in Daft: by
:func:`set_runner_native`, else by the ``DAFT_RUNNER`` (or ``KETCH_RUNNER``)
environment variable (``native``), else the native runner. Unlike Daft,
:func:`set_runner_native` may be called again to change the thread count.
"""

from __future__ import annotations

import os
import threading

from ketch.context import _runner_changed
from ketch.runners.native import NativeRunner
from ketch.runners.runner import Runner

_LOCK = threading.Lock()
_RUNNER: Runner | None = None

_RUNNER_TYPES = ("native",)


def _runner_type_from_env() -> str | None:
    for var in ("KETCH_RUNNER", "DAFT_RUNNER"):
        value = os.environ.get(var)
        if value:
            kind = value.strip().lower()
            if kind == "ray":
                raise ValueError(f"`{var}=ray`: the Ray runner is not available in this version of ketch; use `native`")
            if kind not in _RUNNER_TYPES:
                raise ValueError(
                    f"Invalid runner type `{var}={value}` specified through the env. "
                    "Please use either `native` or `ray`."
                )
            return kind
    return None


def get_or_create_runner() -> Runner:
    """The current runner, created on first use (see the module docstring).

    Raises ``ValueError`` for an unknown ``DAFT_RUNNER``/``KETCH_RUNNER``.

    >>> import ketch
    >>> ketch.get_or_create_runner().name
    'native'
    """
    global _RUNNER
    with _LOCK:
        if _RUNNER is None:
            _runner_type_from_env()
            _RUNNER = NativeRunner()
        return _RUNNER


def get_or_infer_runner_type() -> str:
    """``"native"`` or ``"ray"``: the current runner's type, or the one the
    environment would choose, without creating a runner.

    >>> import ketch
    >>> ketch.get_or_infer_runner_type()
    'native'
    """
    with _LOCK:
        if _RUNNER is not None:
            return _RUNNER.name
    return _runner_type_from_env() or "native"


def set_runner_native(num_threads: int | None = None) -> Runner:
    """Runs queries on this machine with ``num_threads`` parallel partitions
    (default: every core); returns the runner. Raises ``ValueError`` for a
    ``num_threads`` that is not a positive int.

    >>> import ketch
    >>> ketch.set_runner_native().name
    'native'
    """
    global _RUNNER
    runner = NativeRunner(num_threads)
    with _LOCK:
        _RUNNER = runner
    _runner_changed(num_threads)
    return runner


__all__ = ["NativeRunner", "Runner", "get_or_create_runner", "get_or_infer_runner_type", "set_runner_native"]
