"""Progress bars for a running query: one line per operator that has
started (rows in and out, bytes, CPU and wall time; for a source, the share
of its files' bytes or in-memory rows read), drawn with tqdm (``tqdm.auto``:
text in terminals, widgets in notebooks), updated from samples of the
engine's counters twice a second (:mod:`ketch.runners.observe`), and
removed when the query ends.

Shown when stderr is a terminal or in a Jupyter notebook, unless
``DAFT_PROGRESS_BAR=0`` (Daft's switch; ``KETCH_PROGRESS_BAR`` too) or the
execution config's ``progress_bar`` says otherwise.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any

from tqdm.auto import tqdm

_OFF = ("0", "false", "no", "off")


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def progress_bar_enabled(setting: bool | None) -> bool:
    """Whether queries show progress bars: ``setting`` (the execution
    config's ``progress_bar``) when not ``None``; else off when
    ``DAFT_PROGRESS_BAR`` or ``KETCH_PROGRESS_BAR`` is ``0``/``false``, else
    on in a terminal (stderr) or a notebook.

    >>> from ketch.runners.progress_bar import progress_bar_enabled
    >>> progress_bar_enabled(False), progress_bar_enabled(True)
    (False, True)
    """
    if setting is not None:
        return setting
    for var in ("DAFT_PROGRESS_BAR", "KETCH_PROGRESS_BAR"):
        if os.environ.get(var, "1").strip().lower() in _OFF:
            return False
    return _in_notebook() or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())


def _count(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return f"{int(n)}"


def _bytes(n: float) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


def describe(op: dict[str, Any]) -> str:
    """One operator's line after its name: rows in and out, bytes out or
    read, CPU time and wall time (``op`` as ``PyQueryProgress.snapshot``
    gives it).

    >>> from ketch.runners.progress_bar import describe
    >>> describe({"stats": {"rows.in": (1000.0, None), "rows.out": (10.0, None), "duration": (2500.0, "µs")}})
    'rows in 1.0k · out 10 · cpu 2.5ms'
    """
    stats = {k: v for k, (v, _) in op["stats"].items()}
    parts = []
    if "rows.in" in stats:
        parts.append(f"rows in {_count(stats['rows.in'])} · out {_count(stats.get('rows.out', 0))}")
    elif "rows.out" in stats:
        parts.append(f"rows {_count(stats['rows.out'])}")
    if "bytes.read" in stats:
        parts.append(f"read {_bytes(stats['bytes.read'])}")
    elif "bytes.out" in stats:
        parts.append(f"{_bytes(stats['bytes.out'])}")
    if stats.get("udf.rows.failed"):
        parts.append(f"failed rows {int(stats['udf.rows.failed'])}")
    parts.append(f"cpu {stats.get('duration', 0) / 1000:.1f}ms")
    if "wall" in stats:
        parts.append(f"wall {stats['wall'] / 1e6:.1f}s")
    return " · ".join(parts)


class ProgressBars:
    """The bars of one query; ``update(ops)`` with each snapshot,
    ``close()`` at its end (the bars are cleared)."""

    def __init__(self, file: IO[str] | None = None) -> None:
        self._file = file
        self._bars: dict[int, Any] = {}

    def update(self, ops: list[dict[str, Any]]) -> None:
        for op in ops:
            if op["status"] == "Pending":
                continue
            stats = {k: v for k, (v, _) in op["stats"].items()}
            bar = self._bars.get(op["id"])
            if bar is None:
                total, unit, scale = None, " rows", False
                if "bytes.total" in stats and "bytes.read" in stats:
                    total, unit, scale = stats["bytes.total"], "B", True
                elif "rows.total" in stats:
                    total = stats["rows.total"]
                bar = tqdm(
                    total=total,
                    position=len(self._bars),
                    leave=False,
                    unit=unit,
                    unit_scale=scale,
                    file=self._file,
                    mininterval=0,
                    bar_format="{percentage:3.0f}%|{bar:20}| {desc}" if total else "{desc}",
                )
                self._bars[op["id"]] = bar
            done = stats.get("bytes.read") if bar.unit == "B" else stats.get("rows.out", 0)
            bar.n = min(done or 0, bar.total) if bar.total else (done or 0)
            bar.set_description_str(f"{op['name']} [{op['id']}]: {describe(op)}", refresh=False)
            bar.refresh()

    def close(self) -> None:
        for bar in reversed(list(self._bars.values())):
            bar.close()
        self._bars.clear()
