"""The ``DataType`` of a UDF's result, from ``return_dtype`` or the function's
return type hint (Daft 0.7.26's rules: ``int`` -> Int64, ``list[str]`` ->
List[String], ``dict[str, int]`` -> Map, a ``TypedDict`` or Pydantic model ->
Struct, ``T | None`` -> T, any other class (a dataclass, an enum) -> Python;
a generator's hint ``Iterator[T]`` gives ``T``).

A Pydantic model's struct has its fields, then its computed fields, in
declaration order, named as ``model_dump()`` names them (aliases with the
model's ``serialize_by_alias``), as in Daft."""

from __future__ import annotations

import collections.abc
import datetime
import decimal
import inspect
import types
import typing
from typing import Any

import pyarrow as pa

from ketch.datatype import DataType, _as_dtype

_SIMPLE = {
    int: pa.int64(),
    float: pa.float64(),
    str: pa.string(),
    bool: pa.bool_(),
    bytes: pa.binary(),
    type(None): pa.null(),
    datetime.datetime: pa.timestamp("us"),
    datetime.date: pa.date32(),
    datetime.time: pa.time64("us"),
    datetime.timedelta: pa.duration("us"),
    decimal.Decimal: pa.decimal128(38, 9),
}

# Daft's SQL type names accepted as `return_dtype="..."`.
_SQL_NAMES = {
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "real": pa.float32(),
    "float": pa.float32(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "boolean": pa.bool_(),
    "string": pa.string(),
    "text": pa.string(),
    "varchar": pa.string(),
    "binary": pa.binary(),
    "bytes": pa.binary(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}


def dtype_of(value: Any) -> DataType:
    """A ``DataType`` from a DataType, a pyarrow type, a SQL type name or a Python type hint.

    Raises ``TypeError`` naming the hint when it has no Daft type.
    """
    if isinstance(value, (DataType, pa.DataType)):
        return _as_dtype(value)
    if isinstance(value, str):
        if value.strip().lower() in _SQL_NAMES:
            return DataType(_SQL_NAMES[value.strip().lower()])
        raise ValueError(f"unknown return_dtype {value!r}: expected a DataType, a Python type or a SQL type name")
    try:
        return DataType(_arrow_of_hint(value))
    except TypeError:
        rest = [a for a in typing.get_args(value) if a is not type(None)]
        plain = rest[0] if typing.get_origin(value) in (typing.Union, types.UnionType) and len(rest) == 1 else value
        model = hasattr(plain, "model_fields") or typing.is_typeddict(plain)
        if inspect.isclass(plain) and typing.get_origin(plain) is None and not model:
            return DataType.python()  # Daft: a class it has no type for holds Python objects
        raise


def _arrow_of_hint(hint: Any) -> pa.DataType:
    if hint in _SIMPLE:
        return _SIMPLE[hint]
    if inspect.isclass(hint) and typing.get_origin(hint) is None:
        # a subclass (an IntEnum, a str enum, a datetime subclass): its base's type, in Daft's order
        for base in (bool, str, bytes, int, float, datetime.datetime, datetime.date, datetime.time, datetime.timedelta):
            if issubclass(hint, base):
                return _SIMPLE[base]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return _arrow_of_hint(rest[0])
        raise TypeError(f"cannot infer a DataType from the union {hint!r}: give return_dtype")
    if origin in (list, collections.abc.Sequence, collections.abc.Iterable) and args:
        return pa.list_(_arrow_of_hint(args[0]))
    if origin is tuple and args:
        if len(args) == 2 and args[1] is Ellipsis:
            return pa.list_(_arrow_of_hint(args[0]))
        return pa.struct([pa.field(f"_{i}", _arrow_of_hint(a)) for i, a in enumerate(args)])
    if origin in (dict, collections.abc.Mapping) and len(args) == 2:
        return pa.map_(_arrow_of_hint(args[0]), _arrow_of_hint(args[1]))
    if inspect.isclass(hint) and typing.is_typeddict(hint):
        hints = typing.get_type_hints(hint)
        return pa.struct([pa.field(k, _arrow_of_hint(v)) for k, v in hints.items()])
    fields = getattr(hint, "model_fields", None)  # a Pydantic model
    if inspect.isclass(hint) and isinstance(fields, dict):
        return _model_struct(hint, fields)
    raise TypeError(f"cannot infer a DataType from the type hint {hint!r}: give return_dtype")


def _model_struct(model: Any, fields: dict) -> pa.DataType:
    """A Pydantic model's struct: its fields, then its computed fields, named as ``model_dump()`` names them."""
    by_alias = bool(getattr(model, "model_config", {}).get("serialize_by_alias", False))
    out = []
    for name, f in fields.items():
        key = (getattr(f, "serialization_alias", None) or f.alias or name) if by_alias else name
        out.append(pa.field(key, _arrow_of_hint(f.annotation)))
    for name, f in (getattr(model, "model_computed_fields", None) or {}).items():
        key = (f.alias or name) if by_alias else name
        out.append(pa.field(key, _arrow_of_hint(f.return_type)))
    return pa.struct(out)


def _return_hint(fn: Any) -> Any:
    try:
        return typing.get_type_hints(fn).get("return", inspect.Signature.empty)
    except Exception:  # unresolvable forward references: no usable hint
        return inspect.Signature.empty


def infer_return_dtype(fn: Any, return_dtype: Any, *, generator: bool = False) -> DataType:
    """The result type of ``fn``: ``return_dtype`` when given, else its return
    hint (for a generator, ``T`` of ``Iterator[T]`` / ``Generator[T, ...]``)."""
    if return_dtype is not None:
        return dtype_of(return_dtype)
    hint = _return_hint(fn)
    if hint is inspect.Signature.empty:
        raise ValueError(
            "Daft functions require either a return type hint or the `return_dtype` argument to be specified."
        )
    if generator:
        origin = typing.get_origin(hint)
        if origin not in (collections.abc.Iterator, collections.abc.Generator) or not typing.get_args(hint):
            raise TypeError(
                f"The return type hint of a Daft generator function must be an iterator or generator, found: {hint}"
            )
        hint = typing.get_args(hint)[0]
    return dtype_of(hint)
