"""A UDF's results as an Arrow array of its declared return type.

Values convert as Daft 0.7.26 converts them (it turns each value into a
literal of its own type and casts that): ``"12"`` and ``b"12"`` give the int
``12``, ``1.7`` gives ``1``, ``True`` gives ``1``, ``"true"``/``"yes"`` give
``True``, ``12`` gives ``"12"`` and ``True`` gives ``"true"``, ISO strings give
dates and timestamps, a scalar returned for a list type becomes a one-element
list, a dict or a Pydantic model gives a struct by field name (missing fields
are null, others ignored), a tuple of the struct's arity gives it by position.
Pydantic models convert through ``model_dump()`` (field names, or aliases
with ``serialize_by_alias``; computed fields included), dataclasses by their
fields.

Stricter than Daft: a non-null value that cannot be converted (``"not an
int"`` for ``int``, ``300`` for ``Int8``, ``[1, "x"]`` for ``list[int]``) is
reported with its row instead of becoming null (Daft's result) or failing
with an internal panic (Daft's for a dict or list returned for ``int``); the
runners raise :class:`ketch.exceptions.UDFException` for it, or null it under
``on_error="log"``/``"ignore"``.

The whole batch goes through ``pyarrow.array`` first; only when that fails
(or would split strings for a list type) are the values walked one by one.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import re
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ketch import logical, logical_values
from ketch.datatype import DataType
from ketch.pyvalues import column_values

_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError, OverflowError)


@dataclass(frozen=True)
class Unconvertible:
    """A value that does not convert: its row in the values given, the value,
    (for a nested value) where inside it the failing part is, and the inputs
    of the call that returned it."""

    row: int
    value: Any
    path: str = ""
    part: Any = None
    part_type: pa.DataType | None = None
    reason: str = ""
    inputs: str = ""  # the call's arguments, when known

    def describe(self, declared: pa.DataType) -> str:
        where = f"row {self.row} ({self.inputs})" if self.inputs else f"row {self.row}"
        text = f"{where}: {_show(self.value)} of type {_type_name(self.value)}"
        text += f" cannot be converted to {type_name(declared)}"
        if self.path:
            text += (
                f" (at {self.path}: {_show(self.part)} of type {_type_name(self.part)} "
                f"cannot be converted to {type_name(self.part_type)})"
            )
        if self.reason:
            text += f": {self.reason}"
        return text


class _Fail(Exception):
    def __init__(self, value: Any, arrow_type: pa.DataType, path: str = "", reason: str = "") -> None:
        self.value, self.arrow_type, self.path, self.reason = value, arrow_type, path, reason


def type_name(t: pa.DataType | None) -> str:
    """Daft's name of an Arrow type (``Int64``, ``List[String]``)."""
    try:
        return repr(DataType(t))
    except Exception:
        return str(t)


def _type_name(value: Any) -> str:
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _show(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{_type_name(value)}>"
    return text if len(text) <= 80 else text[:77] + "..."


# --- the batch ------------------------------------------------------------------------------------


def to_arrow(values: list, arrow_type: pa.DataType) -> tuple[pa.Array, list[Unconvertible]]:
    """``values`` as an array of ``arrow_type`` and the values that cannot
    convert (null in the array), rows numbered from 0."""
    _, lt = logical.of_type(arrow_type)
    if lt is not None:
        # Multimodal results (embeddings, images, tensors, Python objects) are built from Python values.
        return logical_values.from_python(values, lt), []
    if not (_has_list(arrow_type) and any(_may_split(v, arrow_type) for v in values)):
        # (pyarrow would split a string into characters for a list type; Daft wraps it)
        try:
            return pa.array(values, type=arrow_type), []
        except _ARROW_ERRORS:
            pass
    out: list[Any] = []
    bad: list[Unconvertible] = []
    for i, v in enumerate(values):
        try:
            out.append(_value(v, arrow_type))
        except _Fail as f:
            out.append(None)
            bad.append(_unconvertible(i, v, arrow_type, f))
    try:
        return pa.array(out, type=arrow_type), bad
    except _ARROW_ERRORS:
        pass
    # Values pyarrow takes one by one but not together (never expected): one array each.
    parts = []
    for i, v in enumerate(out):
        try:
            parts.append(pa.array([v], type=arrow_type))
        except _ARROW_ERRORS as e:
            parts.append(pa.nulls(1, arrow_type))
            bad.append(Unconvertible(i, values[i], reason=str(e)))
    bad.sort(key=lambda u: u.row)
    return (pa.concat_arrays(parts) if parts else pa.array([], type=arrow_type)), bad


def array_to_type(array: pa.Array, arrow_type: pa.DataType) -> tuple[pa.Array, list[Unconvertible]]:
    """An Arrow array (a batch function's result) cast to ``arrow_type``: Arrow's
    safe cast when it succeeds, else value by value as :func:`to_arrow`."""
    if array.type == arrow_type:
        return array, []
    _, lt = logical.of_type(arrow_type)
    floats_to_text = pa.types.is_floating(array.type) and _is_text(arrow_type)  # Daft writes 1.0 and 1e20
    if lt is None and not floats_to_text:
        try:
            return array.cast(arrow_type), []
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            pass
    return to_arrow(column_values(array), arrow_type)


def _unconvertible(row: int, value: Any, arrow_type: pa.DataType, f: _Fail) -> Unconvertible:
    if not f.path:
        return Unconvertible(row, value, reason=f.reason)
    return Unconvertible(row, value, f.path, f.value, f.arrow_type, f.reason)


# --- one value --------------------------------------------------------------------------------------


def _is_list(t: pa.DataType) -> bool:
    return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _has_list(t: pa.DataType) -> bool:
    if _is_list(t) or pa.types.is_map(t):
        return True
    return pa.types.is_struct(t) and any(_has_list(t.field(i).type) for i in range(t.num_fields))


def _may_split(value: Any, t: pa.DataType) -> bool:
    """Whether pyarrow could take a string or bytes inside ``value`` (or a
    dict standing for a list) as a list where ``t`` has one."""
    if value is None or not _has_list(t):
        return False
    if isinstance(value, (str, bytes, dict)) and not pa.types.is_struct(t):
        return True
    if _is_list(t) and isinstance(value, (list, tuple)):
        return any(_may_split(x, t.value_type) for x in value)
    if pa.types.is_struct(t) and isinstance(value, dict):
        return any(_may_split(value.get(t.field(i).name), t.field(i).type) for i in range(t.num_fields))
    return True


def _fits(value: Any, t: pa.DataType) -> bool:
    try:
        pa.array([value], type=t)
        return True
    except _ARROW_ERRORS:
        return False


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (datetimes stay numpy's)."""
    t = type(value)
    if t.__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        if isinstance(value, (np.number, np.bool_, np.str_, np.bytes_)):
            return value.item()
    return value


def _is_model(value: Any) -> bool:
    t = type(value)
    return hasattr(t, "model_dump") and isinstance(getattr(t, "model_fields", None), dict)


def _record(value: Any, t: pa.DataType) -> Any:
    """A Pydantic model or a dataclass instance as a dict of its fields; anything else as it is."""
    try:
        if _is_model(value):
            return value.model_dump()
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    except Exception as e:  # a failing serializer or property
        raise _Fail(value, t, reason=f"{type(e).__name__}: {e}") from None
    return value


def _value(value: Any, t: pa.DataType) -> Any:
    """``value`` as a Python value ``pyarrow.array`` takes for ``t``; raises :class:`_Fail`
    (naming ``value`` itself, or the part inside it that fails)."""
    if value is None:
        return None
    try:
        return _convert(_plain(value), t)
    except _Fail as f:
        if f.path:
            raise
        raise _Fail(value, t, "", f.reason) from None


def _convert(value: Any, t: pa.DataType) -> Any:
    if isinstance(t, pa.UuidType):
        return _uuid(value, t)
    kind = _kind(t)
    if isinstance(value, (str, bytes)):
        whole = kind in ("str", "bin")  # pyarrow parses no text into numbers or times, and splits it into lists
    else:
        whole = not (pa.types.is_struct(t) and isinstance(value, tuple))
    if whole and not _may_split(value, t) and _fits(value, t):
        return value  # as the batch's pyarrow conversion takes it (a struct's tuples become dicts below)
    if isinstance(t, pa.BaseExtensionType) or pa.types.is_null(t):
        raise _Fail(value, t)
    if pa.types.is_struct(t):
        return _struct(value, t)
    if _is_list(t):
        return _list(value, t)
    if pa.types.is_map(t):
        return _map(value, t)
    convert = _SCALARS.get(kind)
    if convert is None or not isinstance(value, _SCALAR_VALUES):
        raise _Fail(value, t)
    out = convert(value, t)
    if out is _NO or not _fits(out, t):
        raise _Fail(value, t)
    return out


_NO = object()
_SCALAR_VALUES = (bool, int, float, str, bytes, decimal.Decimal, datetime.date, datetime.time, datetime.timedelta)


def _kind(t: pa.DataType) -> str | None:
    for name, test in (
        ("str", _is_text),
        ("bin", lambda t: pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t)),
        ("bool", pa.types.is_boolean),
        ("int", pa.types.is_integer),
        ("float", pa.types.is_floating),
        ("dec", pa.types.is_decimal),
        ("date", pa.types.is_date),
        ("ts", pa.types.is_timestamp),
        ("time", pa.types.is_time),
        ("dur", pa.types.is_duration),
    ):
        if test(t):
            return name
    return None


def _text(value: Any) -> str | None:
    """A str, or bytes decoded as UTF-8, stripped; None for other values."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return value.strip() if isinstance(value, str) else None


def _epoch_number(value: Any) -> int | None:
    """A date, datetime, time or timedelta as Daft's integer (days; microseconds)."""
    if isinstance(value, datetime.datetime):
        return pa.scalar(value).cast(pa.int64()).as_py()
    if isinstance(value, datetime.date):
        return (value - datetime.date(1970, 1, 1)).days
    if isinstance(value, datetime.timedelta):
        return (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    if isinstance(value, datetime.time):
        return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
    return None


_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|nan|inf|infinity)", re.IGNORECASE)


def _to_int(value: Any, t: pa.DataType) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, decimal.Decimal)):
        return value  # floats and decimals truncate, as pyarrow and Daft do
    text = _text(value)
    if text is not None:
        return int(text) if _INT.fullmatch(text) else _NO
    n = _epoch_number(value)
    return _NO if n is None else n


def _to_float(value: Any, t: pa.DataType) -> Any:
    if isinstance(value, (bool, int, decimal.Decimal)):
        try:
            return float(value)
        except OverflowError:
            return _NO
    if isinstance(value, float):
        return value
    text = _text(value)
    if text is not None:
        return float(text) if _FLOAT.fullmatch(text) else _NO
    n = _epoch_number(value)
    return _NO if n is None else float(n)


_TRUE = {"true", "t", "yes", "y", "on", "1"}
_FALSE = {"false", "f", "no", "n", "off", "0"}


def _to_bool(value: Any, t: pa.DataType) -> Any:
    if isinstance(value, (bool, int, float, decimal.Decimal)):
        return value != 0 or value != value  # NaN is true, as in Daft
    text = _text(value)
    if text is not None:
        low = text.lower()
        return True if low in _TRUE else False if low in _FALSE else _NO
    return _NO


def daft_float_text(x: float) -> str:
    """A float as Daft writes it as a string: ``1.0``, ``0.00001``, ``1e20``, ``1e-6``, ``NaN``, ``inf``."""
    if x != x:
        return "NaN"
    text = repr(x)
    if "e" not in text:
        return text
    mantissa, exp = text.split("e")
    if int(exp) == -5:
        return format(decimal.Decimal(text), "f")
    return f"{mantissa}e{int(exp)}"


def _fraction(micros: int) -> str:
    if micros == 0:
        return ""
    return f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"


def _to_str(value: Any, t: pa.DataType) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return _NO
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return daft_float_text(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S") + _fraction(value.microsecond)
        offset = value.utcoffset()
        if offset is not None:
            minutes = int(offset.total_seconds() // 60)
            sign = "-" if minutes < 0 else "+"
            text += f" {sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        return text
    if isinstance(value, datetime.date):
        return f"{value.year}-{value.month}-{value.day}"  # Daft's (unpadded) text of a date
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S") + _fraction(value.microsecond)
    return _NO  # a timedelta: Daft cannot either


def _to_binary(value: Any, t: pa.DataType) -> Any:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bool):
        return b"1" if value else b"0"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        return daft_float_text(value).encode()
    return _NO


def _to_decimal(value: Any, t: pa.DataType) -> Any:
    if isinstance(value, bool):
        return _NO
    if isinstance(value, float):
        d = decimal.Decimal(repr(value))
    elif isinstance(value, (int, decimal.Decimal)):
        d = decimal.Decimal(value)
    else:
        text = _text(value)
        if text is None:
            return _NO
        try:
            d = decimal.Decimal(text)
        except decimal.InvalidOperation:
            return _NO
    if not d.is_finite():
        return _NO
    try:
        return d.quantize(decimal.Decimal(1).scaleb(-t.scale), rounding=decimal.ROUND_HALF_UP)
    except decimal.InvalidOperation:
        return _NO


def _iso_datetime(text: str) -> datetime.datetime | None:
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return None


_LOOSE_DATE = re.compile(r"(\d{1,4})-(\d{1,2})-(\d{1,2})")


def _to_date(value: Any, t: pa.DataType) -> Any:
    if isinstance(value, (datetime.date, int, float)) and not isinstance(value, bool):
        return value
    text = _text(value)
    if text is None:
        return _NO
    m = _LOOSE_DATE.fullmatch(text)
    try:
        if m:
            return datetime.date(*(int(g) for g in m.groups()))
    except ValueError:
        return _NO
    dt = _iso_datetime(text)
    return _NO if dt is None else dt.date()


def _to_timestamp(value: Any, t: pa.DataType) -> Any:
    if isinstance(value, datetime.datetime) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    text = _text(value)
    if text is None:
        return _NO
    dt = _iso_datetime(text)
    return _NO if dt is None else dt


def _to_time(value: Any, t: pa.DataType) -> Any:
    if isinstance(value, datetime.datetime):
        return value.time()
    if isinstance(value, (datetime.time, int)) and not isinstance(value, bool):
        return value
    text = _text(value)
    if text is None:
        return _NO
    try:
        return datetime.time.fromisoformat(text)
    except ValueError:
        return _NO


def _to_duration(value: Any, t: pa.DataType) -> Any:
    if isinstance(value, (datetime.timedelta, int, float)) and not isinstance(value, bool):
        return value
    text = _text(value)
    if text is not None and _INT.fullmatch(text):
        return int(text)
    return _NO


_SCALARS = {
    "str": _to_str,
    "bin": _to_binary,
    "bool": _to_bool,
    "int": _to_int,
    "float": _to_float,
    "dec": _to_decimal,
    "date": _to_date,
    "ts": _to_timestamp,
    "time": _to_time,
    "dur": _to_duration,
}


def _uuid(value: Any, t: pa.DataType) -> Any:
    if isinstance(value, uuid.UUID):
        return value.bytes
    if isinstance(value, bytes) and len(value) == 16:
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value).bytes
        except ValueError:
            pass
    raise _Fail(value, t)


def _nested(value: Any, t: pa.DataType, where: str) -> Any:
    """An inner value, with ``where`` (``[1]``, ``.field``, ``['key']``) prefixed to the path of a failure inside it."""
    try:
        return _value(value, t)
    except _Fail as f:
        raise _Fail(f.value, f.arrow_type, where + f.path, f.reason) from None


def _list(value: Any, t: pa.DataType) -> list:
    value = _record(value, t) if _is_model(value) else value
    if isinstance(value, dict):
        items = list(value.values())  # Daft casts a struct to a list of its values
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    elif type(value).__module__ == "numpy" and getattr(value, "ndim", 0) >= 1:
        items = list(value)
    else:
        items = [value]  # a scalar (a string too) becomes a one-element list, as in Daft
    if pa.types.is_fixed_size_list(t) and len(items) != t.list_size:
        raise _Fail(value, t, reason=f"{len(items)} elements for a list of size {t.list_size}")
    element = t.value_type
    return [_nested(v, element, f"[{i}]") for i, v in enumerate(items)]


def _struct(value: Any, t: pa.StructType) -> dict:
    value = _record(value, t)
    fields = [t.field(i) for i in range(t.num_fields)]
    if isinstance(value, tuple):
        if len(value) != len(fields):
            raise _Fail(value, t, reason=f"{len(value)} items for a struct of {len(fields)} fields")
        pairs = zip(fields, value)
    elif isinstance(value, dict):
        pairs = ((f, value.get(f.name)) for f in fields)  # missing fields are null, others ignored
    else:
        raise _Fail(value, t)
    return {f.name: _nested(v, f.type, f".{f.name}") for f, v in pairs}


def _map(value: Any, t: pa.MapType) -> list:
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, (list, tuple)) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        items = list(value)
    else:
        raise _Fail(value, t)
    out = []
    for k, v in items:
        if k is None:
            raise _Fail(value, t, reason="a map key is None")
        out.append((_nested(k, t.key_type, f"<key {k!r}>"), _nested(v, t.item_type, f"[{k!r}]")))
    return out
