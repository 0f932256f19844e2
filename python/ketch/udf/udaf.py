"""``@ketch.udaf``: user-defined aggregate functions, as Daft 0.7.26's ``@daft.udaf``.

A class with three methods becomes an aggregation usable in ``agg``:

- ``aggregate(*inputs: Series)``: all of one group's rows (within one
  partition) to a partial state: a value, or ``{name: value}`` with several
  state fields;
- ``combine(states)``: partial states merged into one (a ``Series`` of
  states, or ``{name: Series}``); must be associative and commutative;
- ``finalize(state)``: the merged state (a Python value, or ``{name: value}``)
  to the group's result.

The engine calls these through a runner over Arrow arrays
(``crates/ketch-python/src/udaf.rs``); states travel between stages typed as
``state`` declares, results as ``return_dtype``. The class is instantiated
once per process, with the arguments given to the decorated class.

>>> import ketch
>>> from ketch import DataType, col
>>> @ketch.udaf(return_dtype=DataType.float64(), state={"sum": DataType.float64(), "n": DataType.int64()})
... class Mean:
...     def aggregate(self, values):
...         vals = [v for v in values.to_pylist() if v is not None]
...         return {"sum": float(sum(vals)), "n": len(vals)}
...     def combine(self, states):
...         return {"sum": sum(states["sum"].to_pylist()), "n": sum(states["n"].to_pylist())}
...     def finalize(self, state):
...         return state["sum"] / state["n"] if state["n"] else None
>>> df = ketch.from_pydict({"g": ["a", "a", "b"], "v": [1.0, 3.0, 5.0]})
>>> df.groupby("g").agg(Mean()(col("v")).alias("mean")).sort("g").to_pydict()
{'g': ['a', 'b'], 'mean': [2.0, 5.0]}
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from ketch._native import PyExpr
from ketch.datatype import DataType, _as_dtype
from ketch.expressions import Expression
from ketch.series import Series
from ketch.udf.func import check_serializable

_METHODS = ("aggregate", "combine", "finalize")


def _array(value: Any, dtype: DataType) -> pa.Array:
    array = Series.from_pylist([value], dtype=dtype).to_arrow()
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


class _Runner:
    """The three stages over Arrow arrays, for the engine (see the module docs)."""

    def __init__(
        self,
        klass: type,
        init: tuple[tuple[Any, ...], dict[str, Any]],
        state: dict[str, DataType] | None,
        single_state: DataType | None,
        return_dtype: DataType,
    ) -> None:
        self.klass = klass
        self.init = init
        self.state = state
        self.single_state = single_state
        self.return_dtype = return_dtype
        self._instance: Any = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_instance": None, "_lock": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def instance(self) -> Any:
        with self._lock:
            if self._instance is None:
                args, kwargs = self.init
                self._instance = self.klass(*args, **kwargs)
            return self._instance

    def _state_arrays(self, stage: str, value: Any) -> list[pa.Array]:
        if self.state is None:
            return [_array(value, self.single_state)]
        if not isinstance(value, dict) or set(value) != set(self.state):
            raise ValueError(
                f"UDAF `{self.klass.__name__}.{stage}` must return a dict with keys {sorted(self.state)}, got {value!r}"
            )
        return [_array(value[name], dtype) for name, dtype in self.state.items()]

    def aggregate(self, inputs: list[pa.Array]) -> list[pa.Array]:
        series = [Series.from_arrow(a, name=f"arg{i}") for i, a in enumerate(inputs)]
        return self._state_arrays("aggregate", self.instance().aggregate(*series))

    def combine(self, states: list[pa.Array]) -> list[pa.Array]:
        if self.state is None:
            arg: Any = Series.from_arrow(states[0], name="_state")
        else:
            arg = {name: Series.from_arrow(a, name=name) for name, a in zip(self.state, states)}
        return self._state_arrays("combine", self.instance().combine(arg))

    def finalize(self, state: list[pa.Array]) -> list[pa.Array]:
        values = [Series.from_arrow(a).to_pylist()[0] for a in state]
        arg = values[0] if self.state is None else dict(zip(self.state, values))
        return [_array(self.instance().finalize(arg), self.return_dtype)]


def udaf(
    cls: type | None = None,
    *,
    return_dtype: Any,
    state: Any,
) -> type | Callable[[type], type]:
    """Makes a user-defined aggregate function from a class (Daft's ``udaf``;
    see the module docs for the three methods).

    Args:
        return_dtype: the result's type (a DataType or anything Daft infers one from).
        state: the partial state's type, or ``{name: type}`` for several fields.

    Returns:
        The decorated class: instantiate it (with the class's own arguments),
        then call the instance on one or more expressions inside ``agg``.

    Raises:
        ValueError: the class lacks ``aggregate``, ``combine`` or ``finalize``
            (Daft's message), or cannot be pickled; when called, no
            Expression argument.
    """
    resolved_return = _as_dtype(return_dtype)
    if isinstance(state, dict):
        state_fields: dict[str, DataType] | None = {str(k): _as_dtype(v) for k, v in state.items()}
        single: DataType | None = None
    else:
        state_fields, single = None, _as_dtype(state)

    def wrap(klass: type) -> type:
        for method in _METHODS:
            attr = inspect.getattr_static(klass, method, None)
            if attr is None or not inspect.isfunction(attr):
                raise ValueError(f"UDAF class `{klass.__name__}` must define a `{method}` method.")
        module = getattr(klass, "__module__", "")
        func_name = f"{module}.{klass.__qualname__}" if module else klass.__qualname__

        class WrappedUDAF:
            __doc__ = klass.__doc__

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                check_serializable(klass, "class")
                self._runner = _Runner(klass, (args, kwargs), state_fields, single, resolved_return)

            def __call__(self, *args: Any, **kwargs: Any) -> Expression:
                exprs = [a for a in (*args, *kwargs.values()) if isinstance(a, Expression)]
                if not exprs:
                    raise ValueError(
                        "UDAF must be called with at least one Expression argument. "
                        "Use it in a groupby().agg() context, e.g.: df.groupby('col').agg(my_udaf(df['value']))"
                    )
                fields = (
                    [single._field("_state")]
                    if state_fields is None
                    else [dtype._field(name) for name, dtype in state_fields.items()]
                )
                native = PyExpr.python_udaf(
                    func_name, self._runner, [e._expr for e in exprs], resolved_return._field(func_name), fields
                )
                return Expression(native)

        WrappedUDAF.__name__ = klass.__name__
        WrappedUDAF.__qualname__ = klass.__qualname__
        WrappedUDAF.__module__ = module
        return WrappedUDAF

    return wrap if cls is None else wrap(cls)
