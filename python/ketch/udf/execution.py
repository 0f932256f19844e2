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

Results are converted to the declared type as Daft converts them (``"12"``
gives the int ``12``, a Pydantic model or a dataclass a struct; see
:mod:`ketch.udf.convert`). Stricter than Daft, which silently gives null (or
fails with an internal panic) for a value that cannot convert: such a value
raises :class:`UDFException` naming the function, the row, the value's type
and the declared type, unless ``on_error`` is ``'log'`` or ``'ignore'``, which
make it null as they do for a failing call.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ketch import logical, logical_values
from ketch.context import FailedRows
from ketch.exceptions import UDFException
from ketch.pyvalues import column_values
from ketch.series import Series
from ketch.udf.convert import Unconvertible, array_to_type, to_arrow, type_name

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


def _log(opts: Options, error: BaseException) -> None:
    print(f"Python UDF error in `{opts.name}`: {type(error).__name__}: {error}", file=sys.stderr)


def _note(error: BaseException, opts: Options) -> BaseException:
    """``error`` with a note naming the UDF (kept as the user's exception class)."""
    if hasattr(error, "add_note"):
        error.add_note(f"raised in user-defined function `{opts.name}`")
    return error


def row_inputs(arrays: list[pa.Array]) -> Callable[[int], str]:
    """Describes row ``i`` of a batch's argument columns (for messages)."""

    def describe(i: int) -> str:
        try:
            return _describe([a[i].as_py() for a in arrays], {})
        except Exception:  # a value with no Python form: the message goes without
            return ""

    return describe


def _rows_failed(opts: Options, failures: list[tuple[int, BaseException, list, dict]], n: int) -> UDFException:
    lines = [f"  row {i} ({_describe(a, k)}): {type(e).__name__}: {e}" for i, e, a, k in failures[:10]]
    if len(failures) > 10:
        lines.append(f"  ... and {len(failures) - 10} more")
    head = f"User-defined function `{opts.name}` failed on {len(failures)} of {n} rows:"
    return UDFException("\n".join([head, *lines]))


def unconvertible_error(
    name: str, arrow_type: pa.DataType, bad: list[Unconvertible], n: int, *, on_error: bool = True
) -> UDFException:
    """The error for results that do not convert to the declared type: the UDF, and
    each row with its value, the value's type and the type it should have had."""
    lines = [f"  {u.describe(arrow_type)}" for u in bad[:10]]
    if len(bad) > 10:
        lines.append(f"  ... and {len(bad) - 10} more")
    hint = "on_error='ignore' or 'log' makes them null" if on_error else "Daft would make them null or fail"
    values = "a value" if len(bad) == 1 else f"{len(bad)} values"
    head = (
        f"User-defined function `{name}` returned {values} that cannot be converted to its return type "
        f"{type_name(arrow_type)}, in a batch of {n} rows ({hint}):"
    )
    return UDFException("\n".join([head, *lines]))


def _settle(
    opts: Options,
    array: pa.Array,
    bad: list[Unconvertible],
    n: int,
    first_row: int = 0,
    inputs: Callable[[int], str] | None = None,
) -> pa.Array:
    """``array`` once its unconvertible values (null in it) are dealt with by ``on_error``;
    their rows are counted from ``first_row``, and ``inputs(row)`` describes a row's arguments."""
    if not bad:
        return array
    bad = [
        dataclasses.replace(u, row=u.row + first_row, inputs=inputs(u.row + first_row) if inputs else "") for u in bad
    ]
    if opts.on_error == "raise":
        raise unconvertible_error(opts.name, opts.arrow_type, bad, n)
    FailedRows.add(opts.name, len(bad))
    if opts.on_error == "log":
        for u in bad:
            print(f"Python UDF error in `{opts.name}`: {u.describe(opts.arrow_type)}", file=sys.stderr)
    return array


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
        bound = []
        for i in range(n):
            args, kwargs = layout.bind([c[i] for c in columns])
            bound.append((args, kwargs))

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
        return _settle(opts, *to_arrow(out, opts.arrow_type), n, inputs=lambda i: _describe(*bound[i]))

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
        return _settle(opts, *to_arrow(out, opts.arrow_type), n, inputs=lambda i: _describe(*rows[i]))

    return _runner(get_fn, body)


def to_arrow_result(result: Any, arrow_type: pa.DataType) -> tuple[pa.Array, list[Unconvertible]]:
    """A batch function's result (Series, list, numpy array, pyarrow array) as an
    array of ``arrow_type``, and the values that cannot convert (null in it)."""
    storage, lt = logical.of_type(arrow_type)
    if lt is not None:
        # Multimodal results (embeddings, images, tensors) are built from Python values.
        if isinstance(result, (pa.Array, pa.ChunkedArray)):
            result = Series._make(result, "result")
        if isinstance(result, Series):
            result = result.to_pylist()
        return logical_values.from_python(result, lt), []
    if isinstance(result, Series):
        array = result.to_arrow()
    elif isinstance(result, (pa.Array, pa.ChunkedArray)):
        array = result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result
    elif isinstance(result, list):
        return to_arrow(result, arrow_type)
    elif type(result).__module__ == "numpy" and type(result).__name__ == "ndarray":
        if result.ndim != 1:
            raise ValueError(f"Expected a 1-dimensional numpy array, got shape {result.shape}")
        if result.dtype == object:  # Python objects (models, dicts, mixed values): as a list
            return to_arrow(list(result), arrow_type)
        array = pa.array(result)
    else:
        raise ValueError(f"Expected output to be a Series, list, numpy array, or pyarrow array, got {type(result)}")
    return array_to_type(array, arrow_type)


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
        start = 0
        for length, series in series_chunks(arrays, names, n, opts.batch_size):
            args, kwargs = layout.bind(series)
            try:
                result = _with_retries(lambda args=args, kwargs=kwargs: fn(*args, **kwargs), opts.max_retries)
                array, bad = to_arrow_result(result, opts.arrow_type)
            except Exception as e:
                if opts.on_error == "raise":
                    _note(e, opts)
                    raise
                FailedRows.add(opts.name, length)
                if opts.on_error == "log":
                    _log(opts, e)
                array, bad = pa.nulls(length, opts.arrow_type), []
            if len(array) == 1 and length != 1:
                array = pa.concat_arrays([array] * length) if length else array.slice(0, 0)
            if len(array) != length:
                raise UDFException(
                    f"User-defined function `{opts.name}` returned {len(array)} values for a batch of {length} rows"
                )
            # values that do not convert: an error, or null under on_error (only those values)
            parts.append(_settle(opts, array, bad, n, start, row_inputs(arrays)))
            start += length
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
        array, bad = to_arrow_result(result, opts.arrow_type)
        return _settle(opts, array, bad, len(array))

    return _runner(get_fn, body)
