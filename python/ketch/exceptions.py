"""Exceptions ketch raises, with Daft 0.7.26's names and base classes.

Engine errors (an unknown column, a type mismatch, a corrupt file) raise
:class:`DaftCoreException`, a :class:`ValueError`, as Daft does; a path that
matches no file raises the builtin :class:`FileNotFoundError`; a wrong argument
type raises :class:`APITypeError`, a :class:`TypeError`.
"""

from __future__ import annotations


class DaftCoreException(ValueError):
    """An error raised by the engine while planning or running a query."""


class DaftTypeError(DaftCoreException):
    """A value of the wrong type reached the engine."""


class UDFException(DaftCoreException):
    """A user-defined function raised; the original exception is ``__cause__``
    (its traceback included) and the message names the function and the rows.

    Also raised when a function returns a value that cannot be converted to its
    declared return type (Daft 0.7.26 gives null or panics instead): the message
    names the function, the row, the value's type and the declared type."""


class MemoryLimitError(MemoryError):
    """A query needed more memory than the memory limit allows, even with
    spilling to disk (ketch's; Daft has no memory limit). The message names
    the operator, the limit and what to change: raise
    ``set_execution_config(memory_limit=...)`` (or ``KETCH_MEMORY_LIMIT``),
    or run fewer partitions at once. No spill files are left behind."""


class DaftTransientError(Exception):
    """A transient I/O failure that may succeed when retried."""


class ExpressionTypeError(Exception):
    """An expression of a type the operation cannot take (Daft's
    ``daft.errors.ExpressionTypeError``), e.g. grouping by a Null column."""


class InvalidSQLException(Exception):
    """A SQL statement that cannot be parsed or planned (syntax error, unknown
    table or column, unsupported construct). As in Daft, not a ValueError."""


class APITypeError(TypeError):
    """A public API was called with an argument of the wrong type."""


def expect_type(method: str, name: str, value, expected, what: str) -> None:
    """Raise :class:`APITypeError` unless ``value`` is an instance of ``expected``.

    The message names the method, the parameter, what it requires and what it got.
    """
    if not isinstance(value, expected):
        raise APITypeError(
            f"{method} received wrong input type.\nRequired:\n\t{name} = <{what}>\n"
            f"Given:\n\t{name} = <{type(value).__name__}>"
        )
