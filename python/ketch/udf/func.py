"""``@ketch.func`` (row-wise, async, generator and ``.batch`` functions) and
``@ketch.cls`` / ``@ketch.method`` (stateful class UDFs), as in Daft 0.7.26.

A decorated function called with at least one :class:`Expression` argument
builds an expression; called with plain values it runs directly (an async
function then returns its coroutine, a generator its generator). Options are
checked when the expression is built, where Daft checks them.

Results convert to the declared return type (``return_dtype``, else the
return type hint) as Daft converts them: ``"12"`` for ``int`` gives ``12``,
``1.7`` gives ``1``, ``12`` for ``str`` gives ``"12"``; a Pydantic model or a
dataclass gives a struct (by field name; nested models too), and a hint of a
Pydantic model class declares that struct. Stricter than Daft 0.7.26, which
silently gives null (``"not an int"`` for ``int``) or fails with an internal
panic (a dict for ``int``): a non-null value that cannot be converted raises
:class:`ketch.exceptions.UDFException` naming the function, the row, the
value's type and the declared type, unless ``on_error`` is ``"log"`` or
``"ignore"``, which make the value null as they do for a call that raises.
"""

from __future__ import annotations

import functools
import inspect
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import cloudpickle
import pyarrow as pa

from ketch._native import PyExpr
from ketch.datatype import DataType
from ketch.expressions import Expression, UdfExpression
from ketch.udf.execution import (
    DEFAULT_MORSEL_SIZE,
    ON_ERROR,
    CallLayout,
    Options,
    async_runner,
    batch_runner,
    group_runner,
    row_runner,
)
from ketch.udf.hints import infer_return_dtype
from ketch.udf.process import ProcessRunner, available_gpus


def _check_resources(name: str, cpus: float | None, gpus: float) -> None:
    if gpus < 0:
        raise ValueError(f"num_gpus must be non-negative, got {gpus}")
    if gpus > 1 and gpus != int(gpus):
        raise ValueError(f"ResourceRequest num_gpus greater than 1 must be an integer, got {gpus}")
    if cpus is not None and cpus > (os.cpu_count() or 1):
        raise ValueError(f"`{name}` requested {cpus} CPUs but found only {os.cpu_count()} available")
    if gpus > 0 and gpus > available_gpus():
        raise ValueError(
            f"`{name}` requested {gpus:g} GPU(s) but this machine has {available_gpus()}: "
            "lower `gpus` or run on a machine with GPUs"
        )


def _check_options(on_error: str | None, max_retries: int | None, max_concurrency: int | None) -> None:
    if on_error is not None and on_error not in ON_ERROR:
        raise ValueError("Invalid on_error value. Must be one of: 'raise', 'log', or 'ignore'")
    if max_retries is not None and max_retries < 0:
        raise OverflowError("can't convert negative int to unsigned")
    if max_concurrency is not None and max_concurrency <= 0:
        raise ValueError("max_concurrency for udf must be non-zero")


def _layout(args: tuple, kwargs: dict) -> tuple[CallLayout, list[Expression]]:
    """Splits a call into its expression arguments (in Daft's order: positional, then keywords) and the rest."""
    slots: list[int | str] = []
    exprs: list[Expression] = []
    for i, a in enumerate(args):
        if isinstance(a, Expression):
            slots.append(i)
            exprs.append(a)
    for k, v in kwargs.items():
        if isinstance(v, Expression):
            slots.append(k)
            exprs.append(v)
    # the expressions' places hold None: the layout travels to worker processes
    plain_args = tuple(None if isinstance(a, Expression) else a for a in args)
    plain_kwargs = {k: None if isinstance(v, Expression) else v for k, v in kwargs.items()}
    return CallLayout(plain_args, plain_kwargs, tuple(slots)), exprs


def check_serializable(obj: Any, what: str) -> None:
    """Raises ``ValueError`` (Daft's message) unless cloudpickle can serialize ``obj``:
    a UDF must travel to worker processes and Ray workers."""
    try:
        cloudpickle.dumps(obj)
    except Exception as e:
        if what == "class":
            raise ValueError(
                "Daft classes must be serializable. If your class accesses a non-serializable global or nonlocal "
                "variable, initialize it in the setup method instead."
            ) from e
        raise ValueError(
            "Daft functions must be serializable. If your function accesses a non-serializable global or nonlocal "
            "variable to avoid reinitialization, use `@daft.cls` with a setup method instead."
        ) from e


def _has_expression(args: tuple, kwargs: dict) -> bool:
    return any(isinstance(a, Expression) for a in (*args, *kwargs.values()))


@dataclass(frozen=True)
class Func:
    """A Daft function: call it on expressions to build a column, or on values to run it."""

    fn: Callable
    name: str
    return_dtype: Any = None
    unnest: bool = False
    is_batch: bool = False
    batch_size: int | None = None
    cpus: float | None = None
    gpus: float = 0
    use_process: bool | None = None
    max_concurrency: int | None = None
    max_retries: int | None = None
    on_error: str | None = None
    instance: Any = None  # for a method: the pool of class instances it runs on

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)

    @property
    def is_generator(self) -> bool:
        return inspect.isgeneratorfunction(self.fn)

    def _target(self) -> Callable[[], tuple[Callable, Callable[[], None]]]:
        """A getter, called once per batch, of the callable to run and of what
        gives it back when the batch is done (a method borrows a class
        instance from its handle's pool)."""
        fn = self.fn
        if self.instance is None:
            return lambda: (fn, lambda: None)
        pool = self.instance

        def borrow() -> tuple[Callable, Callable[[], None]]:
            instance = pool.borrow()
            return functools.partial(fn, instance), lambda: pool.give_back(instance)

        return borrow

    def _in_process(self) -> bool:
        """Daft's rule: a worker process for ``use_process=True`` and, unless
        ``use_process=False``, for a class UDF with ``max_concurrency``."""
        if self.use_process is not None:
            return not self.use_process
        return not (self.instance is not None and self.max_concurrency is not None)

    def _concurrency(self) -> int:
        """Batches the engine may run at once: one per instance or process of the pool."""
        if self.instance is not None or not self._in_process():
            return self.max_concurrency or 1
        return 1

    def _runner(self, layout: CallLayout, opts: Options, names: list[str]) -> Callable:
        """The runner that calls the function in this process."""
        target = self._target()
        if self.is_batch:
            return batch_runner(target, layout, opts, names)
        if self.is_async:
            return async_runner(target, layout, opts)
        return row_runner(target, layout, opts, generator=self.is_generator)

    def _process_runner(self, layout: CallLayout, opts: Options, names: list[str]) -> Callable:
        """The runner that calls the function in worker processes (one instance each)."""
        recipe = None if self.instance is None else self.instance.recipe
        factory = functools.partial(_local_runner, replace(self, instance=None), recipe, layout, opts, names)
        return ProcessRunner(self.name, factory, self.max_concurrency or 1, self.gpus)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not _has_expression(args, kwargs):
            fn = self.fn if self.instance is None else functools.partial(self.fn, self.instance.shared())
            return fn(*args, **kwargs)
        return self._expression(args, kwargs)

    def _expression(self, args: tuple, kwargs: dict) -> Expression:
        _check_options(self.on_error, self.max_retries, self.max_concurrency)
        if self.max_concurrency is not None and not (self.is_async or self.instance is not None):
            raise ValueError(
                "`max_concurrency` on a synchronous `@daft.func` has no effect. Use `@daft.cls` for actor pool "
                "concurrency or an async function for coroutine concurrency."
            )
        _check_resources(self.name, self.cpus, self.gpus)
        if self.instance is None:
            check_serializable(self.fn, "function")
        else:
            check_serializable(self.instance.recipe, "class")
        dtype = infer_return_dtype(self.fn, self.return_dtype, generator=self.is_generator and not self.is_batch)
        if self.unnest and not dtype.is_struct():
            raise ValueError(
                "Expected Daft function `return_dtype` to be `DataType.struct(..)` when `unnest=True`, "
                f"instead found: {dtype!r}"
            )
        layout, exprs = _layout(args, kwargs)
        arrow = dtype.to_arrow_dtype()
        out_type = pa.list_(arrow) if self.is_generator and not self.is_batch else arrow
        opts = Options(
            name=self.name,
            arrow_type=out_type,
            max_retries=self.max_retries or 0,
            on_error=self.on_error or "raise",
            batch_size=self.batch_size,
            max_concurrency=self.max_concurrency,
        )
        names = [e.name() for e in exprs]
        field = pa.field(self.name, out_type)
        args = [e._expr for e in exprs]
        runner = self._runner(layout, opts, names) if self._in_process() else self._process_runner(layout, opts, names)
        if self.is_batch:
            batch_rows = self.batch_size or DEFAULT_MORSEL_SIZE
            native = PyExpr.python_udf(self.name, runner, args, field, batch_rows, self._concurrency())
            return UdfExpression(native, group_runner(self._target(), layout, opts, names), exprs)
        expr = Expression(PyExpr.python_udf(self.name, runner, args, field, None, self._concurrency()))
        if self.is_generator and not self.is_batch:
            expr = expr._call("explode")
        if self.unnest:
            expr = expr._call("unnest")
        return expr


def _local_runner(func: Func, recipe: tuple | None, layout: CallLayout, opts: Options, names: list[str]) -> Callable:
    """In a worker process: ``func``'s in-process runner, on its own instance of the class ``recipe``."""
    if recipe is not None:
        func = replace(func, instance=_Instances(*recipe, 1))
    return func._runner(layout, opts, names)


def _qualname(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


class _FuncDecorator:
    """``@ketch.func``, ``@ketch.func(...)`` and ``@ketch.func.batch(...)``.

    Results convert to ``return_dtype`` (else the return type hint) as Daft
    converts them (``"12"`` for ``int`` gives ``12``; a Pydantic model or a
    dataclass gives a struct). Stricter than Daft, which returns null or
    panics: a non-null value that cannot be converted (``"not an int"`` for
    ``int``) raises :class:`ketch.exceptions.UDFException` naming the
    function, the row, the value's type and the declared type, unless
    ``on_error="log"`` or ``"ignore"`` makes it null.
    """

    def __call__(
        self,
        fn: Callable | None = None,
        *,
        return_dtype: Any = None,
        unnest: bool = False,
        cpus: float | None = None,
        gpus: float = 0,
        use_process: bool | None = None,
        max_concurrency: int | None = None,
        max_retries: int | None = None,
        on_error: str | None = None,
        ray_options: dict[str, Any] | None = None,
    ) -> Any:
        def wrap(f: Callable) -> Func:
            func = Func(
                f,
                _qualname(f),
                return_dtype=return_dtype,
                unnest=unnest,
                cpus=cpus,
                gpus=gpus,
                use_process=use_process,
                max_concurrency=max_concurrency,
                max_retries=max_retries,
                on_error=on_error,
            )
            if return_dtype is None:
                infer_return_dtype(f, None, generator=func.is_generator)  # fail at decoration, as Daft
            return func

        return wrap(fn) if fn is not None else wrap

    def batch(
        self,
        *,
        return_dtype: Any,
        unnest: bool = False,
        cpus: float | None = None,
        gpus: float = 0,
        use_process: bool | None = None,
        max_concurrency: int | None = None,
        batch_size: int | None = None,
        max_retries: int | None = None,
        on_error: str | None = None,
        ray_options: dict[str, Any] | None = None,
    ) -> Callable[[Callable], Func]:
        if batch_size is not None and batch_size <= 0:
            raise ValueError(f"batch_size must be a positive int, got {batch_size}")

        plain = self(
            return_dtype=return_dtype,
            unnest=unnest,
            cpus=cpus,
            gpus=gpus,
            use_process=use_process,
            max_concurrency=max_concurrency,
            max_retries=max_retries,
            on_error=on_error,
        )
        return lambda f: replace(plain(f), is_batch=True, batch_size=batch_size)


func = _FuncDecorator()


# --- class UDFs ---------------------------------------------------------------

_METHOD = "_ketch_method"


class _MethodDecorator:
    """``@ketch.method`` and ``@ketch.method.batch``: options for one method of a ``@ketch.cls`` class.

    Results convert to the declared type as ``@ketch.func``'s do: a Pydantic
    model or a dataclass gives a struct, and a value that cannot be converted
    raises :class:`ketch.exceptions.UDFException` (Daft gives null or panics)
    unless ``on_error`` says otherwise.
    """

    def __call__(
        self,
        method: Callable | None = None,
        *,
        return_dtype: Any = None,
        unnest: bool = False,
        max_retries: int | None = None,
        on_error: str | None = None,
    ) -> Any:
        def wrap(m: Callable) -> Callable:
            setattr(
                m, _METHOD, dict(return_dtype=return_dtype, unnest=unnest, max_retries=max_retries, on_error=on_error)
            )
            return m

        return wrap(method) if method is not None else wrap

    def batch(
        self,
        method: Callable | None = None,
        *,
        return_dtype: Any = None,
        unnest: bool = False,
        batch_size: int | None = None,
        max_retries: int | None = None,
        on_error: str | None = None,
    ) -> Any:
        def wrap(m: Callable) -> Callable:
            options = dict(return_dtype=return_dtype, unnest=unnest, max_retries=max_retries, on_error=on_error)
            setattr(m, _METHOD, {**options, "is_batch": True, "batch_size": batch_size})
            return m

        return wrap(method) if method is not None else wrap


method = _MethodDecorator()


class _Instances:
    """The instances of one class-UDF handle: made lazily, at most
    ``max_concurrency`` of them (one when unset), lent to one batch at a time
    and reused across batches."""

    def __init__(self, klass: type, args: tuple, kwargs: dict, limit: int) -> None:
        self.recipe = (klass, args, kwargs)
        self._make = lambda: klass(*args, **kwargs)
        self._limit = limit
        self._made = 0
        self._idle: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._shared: Any = None

    def __reduce__(self) -> tuple:
        """Pickles as its recipe: the copy starts with no instances (made where it runs)."""
        klass, args, kwargs = self.recipe
        return (_Instances, (klass, args, kwargs, self._limit))

    def shared(self) -> Any:
        """The one instance used for direct calls and single-instance handles."""
        with self._lock:
            if self._shared is None:
                self._shared = self._make()
                self._made = max(self._made, 1)
            return self._shared

    def borrow(self) -> Any:
        if self._limit == 1:
            return self.shared()
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            make = self._made < self._limit
            if make:
                self._made += 1
        return self._make() if make else self._idle.get()

    def give_back(self, instance: Any) -> None:
        if self._limit != 1:
            self._idle.put(instance)


def cls(
    class_: type | None = None,
    *,
    cpus: float | None = None,
    gpus: float = 0,
    use_process: bool | None = None,
    max_concurrency: int | None = None,
    max_retries: int | None = None,
    on_error: str | None = None,
    name_override: str | None = None,
    ray_options: dict[str, Any] | None = None,
) -> Any:
    """``@ketch.cls``: a class whose methods are UDFs. ``MyCls(*args)`` only
    records the arguments; ``__init__`` runs when the first batch needs the
    instance, and the instance is reused for every later batch and call.

    A method's results convert to its declared type as ``@ketch.func``'s do
    (a value that cannot be converted raises ``UDFException`` where Daft gives
    null or panics, unless ``on_error`` says otherwise)."""

    def wrap(klass: type) -> type:
        _check_options(on_error, max_retries, max_concurrency)
        base_name = name_override or _qualname(klass)

        class Handle:
            __ketch_class__ = klass

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                object.__setattr__(self, "_ketch_args", (args, kwargs))
                object.__setattr__(self, "_ketch_pool", _Instances(klass, args, kwargs, max_concurrency or 1))

            def __getattr__(self, name: str) -> Func:
                attr = inspect.getattr_static(klass, name)
                if not inspect.isfunction(attr):
                    raise AttributeError("Can only access methods on a Daft class instance.")
                options = getattr(attr, _METHOD, {})
                if options.get("is_batch") and options.get("return_dtype") is None:
                    raise ValueError(
                        "Daft batch functions require a return type to be explicitly specified using the "
                        "`return_dtype` argument."
                    )
                base = Func(
                    attr,
                    f"{base_name}.{name}",
                    cpus=cpus,
                    gpus=gpus,
                    use_process=use_process,
                    max_concurrency=max_concurrency,
                    max_retries=max_retries,
                    on_error=on_error,
                    instance=self._ketch_pool,
                )
                return replace(base, **{k: v for k, v in options.items() if v is not None or k == "return_dtype"})

            def __call__(self, *args: Any, **kwargs: Any) -> Any:
                return self.__getattr__("__call__")(*args, **kwargs)

        Handle.__name__ = klass.__name__
        Handle.__qualname__ = klass.__qualname__
        Handle.__doc__ = klass.__doc__
        return Handle

    return wrap(class_) if class_ is not None else wrap


__all__ = ["Func", "cls", "func", "method", "DataType"]
