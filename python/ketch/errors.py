"""``daft.errors``: the exception a failing user-defined function raises."""

from ketch.exceptions import UDFException

__all__ = ["UDFException"]
