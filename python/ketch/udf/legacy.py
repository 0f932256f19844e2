"""The legacy ``@ketch.udf`` decorator (deprecated in Daft 0.7, still common in
user code) and ``Expression.apply``.

A legacy UDF receives a :class:`ketch.Series` per expression argument (other
arguments as given) and returns a Series, list, numpy array or pyarrow array.
Calling it always builds an expression. A class UDF's ``__init__`` runs once,
lazily, with the arguments from :meth:`UDF.with_init_args`. A failure raises
:class:`ketch.exceptions.UDFException` naming the function and its inputs,
with the original exception as ``__cause__``.

Results convert to ``return_dtype`` as Daft converts them (``"12"`` gives the
int ``12``, a Pydantic model a struct); a value that cannot convert raises
``UDFException`` naming the function, the row, the value's type and the
declared type, where Daft 0.7.26 gives null or fails with an internal panic.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import threading
import warnings
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from ketch import expressions
from ketch._native import PyExpr
from ketch.exceptions import UDFException
from ketch.expressions import Expression, UdfExpression
from ketch.series import Series
from ketch.udf.execution import (
    DEFAULT_MORSEL_SIZE,
    CallLayout,
    row_inputs,
    series_chunks,
    to_arrow_result,
    unconvertible_error,
)
from ketch.udf.func import _check_resources, _layout, _qualname
from ketch.udf.hints import dtype_of
from ketch.udf.process import ProcessRunner

_DEPRECATION = (
    "The `@daft.udf` decorator is deprecated since Daft version >= 0.7.0 and will be removed in >= 0.8.0. "
    "Please use `@daft.func` and `@daft.cls` instead.\n"
    "See the migration guide for more details: https://docs.daft.ai/en/stable/custom-code/migration/"
)


@dataclasses.dataclass(frozen=True)
class UDF:
    """A legacy UDF: a function or class over Series, called on expressions."""

    inner: Callable | type
    name: str
    return_dtype: Any
    init_args: tuple | None = None
    concurrency: int | None = None
    num_cpus: float | None = None
    num_gpus: float | None = None
    memory_bytes: int | None = None
    batch_size: int | None = None
    use_process: bool | None = None
    ray_options: dict | None = None
    _state: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def __getstate__(self) -> dict:
        """Pickles without the made instance and its lock (made again where it runs)."""
        return {**self.__dict__, "_state": {}}

    def __call__(self, *args: Any, **kwargs: Any) -> Expression:
        _check_resources(self.name, self.num_cpus, self.num_gpus or 0)
        target = self.inner.__call__ if isinstance(self.inner, type) else self.inner
        try:
            bound = inspect.signature(target).bind(*((None,) if isinstance(self.inner, type) else ()), *args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{self.name}: {e}") from None
        bound.apply_defaults()
        call_args = bound.args[1:] if isinstance(self.inner, type) else bound.args
        layout, exprs = _layout(tuple(call_args), dict(bound.kwargs))
        dtype = dtype_of(self.return_dtype)
        arrow = dtype.to_arrow_dtype()
        names = [e.name() for e in exprs]
        if self.use_process or (self.use_process is None and self.concurrency is not None):
            # Daft runs these in worker processes, one instance each
            factory = functools.partial(_legacy_runner, dataclasses.replace(self, _state={}), layout, arrow, names)
            runner = ProcessRunner(self.name, factory, self.concurrency or 1, self.num_gpus or 0)
        else:
            runner = _legacy_runner(self, layout, arrow, names)
        field = pa.field(self.name, arrow)
        batch_rows = self.batch_size or DEFAULT_MORSEL_SIZE
        args = [e._expr for e in exprs]
        native = PyExpr.python_udf(self.name, runner, args, field, batch_rows, self.concurrency or 1)
        return UdfExpression(native, _legacy_runner(self, layout, arrow, names, whole=True), exprs)

    def _function(self) -> Callable:
        """The callable to run: the function, or the class instance (made once, lazily)."""
        if not isinstance(self.inner, type):
            return self.inner
        with self._state.setdefault("lock", threading.Lock()):
            if "instance" not in self._state:
                args, kwargs = self.init_args or ((), {})
                try:
                    self._state["instance"] = self.inner(*args, **kwargs)
                except Exception as e:
                    raise UDFException(f"User-defined function `{self.name}` failed to initialize") from e
            return self._state["instance"]

    def with_init_args(self, *args: Any, **kwargs: Any) -> UDF:
        """A copy whose class is initialized with ``args`` and ``kwargs``."""
        if not isinstance(self.inner, type):
            raise ValueError("Function UDFs cannot have init args.")
        inspect.signature(self.inner.__init__).bind(None, *args, **kwargs)
        return dataclasses.replace(self, init_args=(args, kwargs), _state={})

    def with_concurrency(self, concurrency: int) -> UDF:
        if concurrency == 0:
            raise ValueError("concurrency for udf must be non-zero")
        return dataclasses.replace(self, concurrency=concurrency)

    def override_options(
        self,
        *,
        num_cpus: float | None = None,
        num_gpus: float | None = None,
        memory_bytes: int | None = None,
        ray_options: dict | None = None,
        batch_size: int | None = None,
    ) -> UDF:
        changes = dict(
            num_cpus=num_cpus,
            num_gpus=num_gpus,
            memory_bytes=memory_bytes,
            ray_options=ray_options,
            batch_size=batch_size,
        )
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def run_on_process(self, use_process: bool = True) -> UDF:
        return dataclasses.replace(self, use_process=use_process)


def _legacy_runner(udf: UDF, layout: CallLayout, arrow: pa.DataType, names: list[str], whole: bool = False):
    """The runner of a legacy UDF; ``whole``: one call on all rows, any result length (``map_groups``)."""

    def run(arrays: list[pa.Array], n: int) -> pa.Array:
        if isinstance(udf.inner, type) and udf.init_args is None and _requires_init_args(udf.inner):
            raise ValueError(
                "Cannot call class UDF without initialization arguments. Please either specify default arguments "
                "in your __init__ or provide initialization arguments using `.with_init_args(...)`."
            )
        fn = udf._function()
        parts = []
        start = 0
        for length, series in series_chunks(arrays, names, n, None if whole else udf.batch_size):
            args, kwargs = layout.bind(series)
            try:
                result = fn(*args, **kwargs)
            except Exception as e:
                inputs = "\n".join(f"  - {s.name()} ({s.datatype()!r}, length={len(s)})" for s in series)
                raise UDFException(
                    f"User-defined function `{udf.name}` failed when executing on inputs:\n{inputs}"
                ) from e
            if not isinstance(result, (list, pa.Array, pa.ChunkedArray, Series)) and not hasattr(result, "__array__"):
                # Daft's exception class and message for a legacy UDF's unsupported result.
                raise NotImplementedError(
                    f"Return type {type(result)} not supported for UDF {udf.name}, expected daft.Series, list, "
                    f"np.ndarray, or pa.Array containing {udf.return_dtype!r}"
                )
            array, bad = to_arrow_result(result, arrow)
            if len(array) != length and not whole:
                raise UDFException(f"User-defined function `{udf.name}` returned {len(array)} values for {length} rows")
            if bad:
                describe = row_inputs(arrays) if not whole else lambda i: ""
                rows = [dataclasses.replace(u, row=u.row + start, inputs=describe(u.row + start)) for u in bad]
                raise unconvertible_error(udf.name, arrow, rows, n if not whole else len(array), on_error=False)
            parts.append(array)
            start += length
        return pa.concat_arrays(parts) if len(parts) != 1 else parts[0]

    return run


def _requires_init_args(klass: type) -> bool:
    init = klass.__init__
    if init is object.__init__:
        return False
    params = list(inspect.signature(init).parameters.values())[1:]
    return any(p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


def udf(
    *,
    return_dtype: Any,
    num_cpus: float | None = None,
    num_gpus: float | None = None,
    memory_bytes: int | None = None,
    ray_options: dict[str, Any] | None = None,
    batch_size: int | None = None,
    concurrency: int | None = None,
    use_process: bool | None = None,
) -> Callable[[Callable | type], UDF]:
    """``@ketch.udf(return_dtype=...)``: a legacy UDF over Series (deprecated; prefer ``@ketch.func``).

    Results convert to ``return_dtype`` as Daft converts them; a value that
    cannot be converted raises :class:`ketch.exceptions.UDFException` naming
    the function, the row, the value's type and the declared type (Daft gives
    null or panics)."""
    warnings.warn(_DEPRECATION, DeprecationWarning, stacklevel=2)
    dtype_of(return_dtype)

    def wrap(inner: Callable | type) -> UDF:
        return UDF(
            inner,
            _qualname(inner),
            return_dtype,
            concurrency=concurrency,
            num_cpus=num_cpus,
            num_gpus=num_gpus,
            memory_bytes=memory_bytes,
            batch_size=batch_size,
            use_process=use_process,
            ray_options=ray_options,
        )

    return wrap


def apply(expr: Expression, func: Callable[..., Any], return_dtype: Any) -> Expression:
    """``expr.apply(func, return_dtype)``: ``func`` on every value (``None`` for nulls)."""

    def per_row(s: Any) -> list:
        return [func(x) for x in s]

    per_row.__module__ = getattr(func, "__module__", None) or per_row.__module__
    per_row.__qualname__ = getattr(func, "__qualname__", "apply")
    return UDF(per_row, _qualname(per_row), return_dtype)(expr)


expressions._apply_udf = apply
