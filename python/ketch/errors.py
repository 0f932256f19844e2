"""``daft.errors``: the exception a failing user-defined function raises, and
``ExpressionTypeError`` (Daft's error for an expression of a type an
operation cannot take, e.g. grouping by a Null-typed column)."""

from ketch.exceptions import ExpressionTypeError, UDFException

__all__ = ["ExpressionTypeError", "UDFException"]
