"""Running user code on Arrow batches: the *runners* the engine calls.

A runner is ``runner(arrays: list[pa.Array], num_rows: int) -> pa.Array``;
the engine (``crates/ketch-python/src/udf.rs``) calls it once per batch with
the UDF's expression arguments, holding the GIL only for the call. Each
runner applies Daft 0.7.26's semantics for its kind:

- row-wise: the function is called once per row, with ``None`` for nulls;
  retries and ``on_error`` apply per row; with ``on_error='raise'`` every row
  is tried and the failures are reported together;
- async: all rows of a batch run as coroutines on one background event loop
  (at most ``max_concurrency`` at once when it is set);
- generator: each row's yielded values become a list (exploded by the caller);
- batch: the function gets :class:`ketch.Series` chunks of ``batch_size`` rows
  and returns a Series, list, numpy array or pyarrow array.

Results are converted to the declared type leniently, as Daft does (a value
that cannot convert becomes null).
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ketch import logical, logical_values
from ketch.exceptions import UDFException
from ketch.pyvalues import column_values
from ketch.series import Series, coerce

ON_ERROR = ("raise", "log", "ignore")

DEFAULT_MORSEL_SIZE = 131072
"""Rows per call of a batch UDF without ``batch_size`` (Daft's ``default_morsel_size``):
the engine coalesces smaller batches up to it."""


@dataclass(frozen=True)
class CallLayout:
    """Where the expression arguments go among the literal ones: the call's
    positional and keyword arguments, with ``slots`` naming the positions
    (ints) and keywords (strs) that take column values, in engine order."""

    args: tuple
    kwargs: dict
    slots: tuple

    def bind(self, values: list) -> tuple[list, dict]:
        args, kwargs = list(self.args), dict(self.kwargs)
        for slot, value in zip(self.slots, values):
            if isinstance(slot, int):
                args[slot] = value
            else:
                kwargs[slot] = value
        return args, kwargs


@dataclass(frozen=True)
class Options:
    """How a UDF runs: its name for messages, retries, ``on_error`` and batching."""

    name: str
    arrow_type: pa.DataType
    max_retries: int = 0
    on_error: str = "raise"
    batch_size: int | None = None
    max_concurrency: int | None = None


def _with_retries(fn: Callable[[], Any], retries: int) -> Any:
    """``fn()``, tried ``1 + retries`` times with exponential backoff (0.1 s, doubling, at most 60 s)."""
    delay = 0.1
    for attempt in range(retries + 1):
        try:
            return fn()
        except Exception:
            if attempt == retries:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 60.0)
    raise AssertionError("unreachable")


def _describe(args: list, kwargs: dict) -> str:
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    text = ", ".join(parts)
    return text if len(text) <= 200 else text[:197] + "..."


class FailedRows:
    """Rows set to null by ``on_error='log'|'ignore'``, per UDF, since the last report."""

    _lock = threading.Lock()
    _counts: dict[str, int] = {}

    @classmethod
    def add(cls, name: str, rows: int) -> None:
        with cls._lock:
            cls._counts[name] = cls._counts.get(name, 0) + rows

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


def _log(opts: Options, error: BaseException) -> None:
    print(f"Python UDF error in `{opts.name}`: {type(error).__name__}: {error}", file=sys.stderr)


def _note(error: BaseException, opts: Options) -> BaseException:
    """``error`` with a note naming the UDF (kept as the user's exception class)."""
    if hasattr(error, "add_note"):
        error.add_note(f"raised in user-defined function `{opts.name}`")
    return error


def _rows_failed(opts: Options, failures: list[tuple[int, BaseException, list, dict]], n: int) -> UDFException:
    lines = [f"  row {i} ({_describe(a, k)}): {type(e).__name__}: {e}" for i, e, a, k in failures[:10]]
    if len(failures) > 10:
        lines.append(f"  ... and {len(failures) - 10} more")
    head = f"User-defined function `{opts.name}` failed on {len(failures)} of {n} rows:"
    return UDFException("\n".join([head, *lines]))


Target = Callable[[], tuple[Callable, Callable[[], None]]]
"""Gives the callable for one batch and the function that releases it afterwards."""


def _runner(get_fn: Target, body: Callable[[Callable, list, int], pa.Array]):
    """The engine-facing runner: ``body(fn, arrays, n)`` with ``fn`` held for the batch."""

    def run(arrays: list[pa.Array], n: int) -> pa.Array:
        fn, release = get_fn()
        try:
            return body(fn, arrays, n)
        finally:
            release()

    return run


def row_runner(get_fn: Target, layout: CallLayout, opts: Options, *, generator: bool = False):
    """The runner of a row-wise (or generator) function."""

    def body(fn: Callable, arrays: list[pa.Array], n: int) -> pa.Array:
        columns = [column_values(a) for a in arrays]
        out: list[Any] = [None] * n
        failures = []
        for i in range(n):
            args, kwargs = layout.bind([c[i] for c in columns])

            def call(args=args, kwargs=kwargs):
                result = fn(*args, **kwargs)
                return list(result) if generator else result

            try:
                out[i] = _with_retries(call, opts.max_retries)
            except Exception as e:
                if opts.on_error == "raise":
                    failures.append((i, e, args, kwargs))
                    continue
                FailedRows.add(opts.name, 1)
                if opts.on_error == "log":
                    _log(opts, e)
        if failures:
            raise _rows_failed(opts, failures, n) from failures[0][1]
        return coerce(out, opts.arrow_type)

    return _runner(get_fn, body)


class _Loop:
    """One background event loop for every async UDF of the process."""

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def get(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="KetchUDFEventLoop", daemon=True).start()
                cls._loop = loop
            return cls._loop


def async_runner(get_fn: Target, layout: CallLayout, opts: Options):
    """The runner of an ``async def`` function: a batch's rows run concurrently.

    Unlike Daft 0.7.26 (which nulls or fails the whole batch), retries and
    ``on_error`` apply per row, so one failing row never discards the others.
    """

    async def batch(fn: Callable, rows: list[tuple[list, dict]]) -> list:
        gate = asyncio.Semaphore(opts.max_concurrency) if opts.max_concurrency else None

        async def one(args: list, kwargs: dict) -> Any:
            delay = 0.1
            for attempt in range(opts.max_retries + 1):
                try:
                    if gate is None:
                        return await fn(*args, **kwargs)
                    async with gate:
                        return await fn(*args, **kwargs)
                except Exception:
                    if attempt == opts.max_retries:
                        raise
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 60.0)

        return await asyncio.gather(*(one(a, k) for a, k in rows), return_exceptions=True)

    def body(fn: Callable, arrays: list[pa.Array], n: int) -> pa.Array:
        columns = [column_values(a) for a in arrays]
        rows = [layout.bind([c[i] for c in columns]) for i in range(n)]
        results = asyncio.run_coroutine_threadsafe(batch(fn, rows), _Loop.get()).result()
        out = []
        for r in results:
            if isinstance(r, BaseException):
                if not isinstance(r, Exception) or opts.on_error == "raise":
                    raise _note(r, opts)
                FailedRows.add(opts.name, 1)
                if opts.on_error == "log":
                    _log(opts, r)
                r = None
            out.append(r)
        return coerce(out, opts.arrow_type)

    return _runner(get_fn, body)


def to_arrow_result(result: Any, arrow_type: pa.DataType) -> pa.Array:
    """A batch function's result (Series, list, numpy array, pyarrow array) as an array of ``arrow_type``."""
    storage, lt = logical.of_type(arrow_type)
    if lt is not None:
        # Multimodal results (embeddings, images, tensors) are built from Python values.
        if isinstance(result, (pa.Array, pa.ChunkedArray)):
            result = Series._make(result, "result")
        if isinstance(result, Series):
            result = result.to_pylist()
        return logical_values.from_python(result, lt)
    if isinstance(result, Series):
        array = result.to_arrow()
    elif isinstance(result, (pa.Array, pa.ChunkedArray)):
        array = result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result
    elif isinstance(result, list):
        return coerce(result, arrow_type)
    elif type(result).__module__ == "numpy" and type(result).__name__ == "ndarray":
        if result.ndim != 1:
            raise ValueError(f"Expected a 1-dimensional numpy array, got shape {result.shape}")
        array = pa.array(result)
    else:
        raise ValueError(f"Expected output to be a Series, list, numpy array, or pyarrow array, got {type(result)}")
    if array.type == arrow_type:
        return array
    try:
        return array.cast(arrow_type, safe=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return coerce(column_values(array), arrow_type)


def series_chunks(arrays: list[pa.Array], names: list[str], n: int, size: int | None):
    """``(length, [Series, ...])`` for each chunk of at most ``size`` rows (all ``n`` rows
    when ``size`` is None; one empty chunk when ``n`` is 0: a batch function sees empty input)."""
    size = size or max(n, 1)
    for start in range(0, max(n, 1), size):
        length = min(size, n - start)
        yield length, [Series._make(a.slice(start, length), name) for a, name in zip(arrays, names)]


def batch_runner(get_fn: Target, layout: CallLayout, opts: Options, names: list[str]):
    """The runner of a batch function: Series in, one result per ``batch_size`` chunk.

    Retries and ``on_error`` apply per chunk (Daft's rule): ``ignore``/``log``
    make a failing chunk null.
    """

    def body(fn: Callable, arrays: list[pa.Array], n: int) -> pa.Array:
        parts = []
        for length, series in series_chunks(arrays, names, n, opts.batch_size):
            args, kwargs = layout.bind(series)
            try:
                result = _with_retries(lambda args=args, kwargs=kwargs: fn(*args, **kwargs), opts.max_retries)
                array = to_arrow_result(result, opts.arrow_type)
            except Exception as e:
                if opts.on_error == "raise":
                    _note(e, opts)
                    raise
                FailedRows.add(opts.name, length)
                if opts.on_error == "log":
                    _log(opts, e)
                array = pa.nulls(length, opts.arrow_type)
            if len(array) == 1 and length != 1:
                array = pa.concat_arrays([array] * length) if length else array.slice(0, 0)
            if len(array) != length:
                raise UDFException(
                    f"User-defined function `{opts.name}` returned {len(array)} values for a batch of {length} rows"
                )
            parts.append(array)
        return pa.concat_arrays(parts) if len(parts) != 1 else parts[0]

    return _runner(get_fn, body)


def group_runner(get_fn: Target, layout: CallLayout, opts: Options, names: list[str]):
    """For ``map_groups``: the batch function on one whole group, returning any number of rows."""

    def body(fn: Callable, arrays: list[pa.Array], n: int) -> pa.Array:
        series = [Series._make(a, name) for a, name in zip(arrays, names)]
        args, kwargs = layout.bind(series)
        try:
            result = _with_retries(lambda: fn(*args, **kwargs), opts.max_retries)
        except Exception as e:
            _note(e, opts)
            raise
        return to_arrow_result(result, opts.arrow_type)

    return _runner(get_fn, body)
