"""Daft's ``daft.sql.sql_connection`` module path: :class:`SQLConnection`,
the database connection behind :func:`ketch.read_sql` (defined in
:mod:`ketch.io._sql`)."""

from ketch.io._sql import SQLConnection

__all__ = ["SQLConnection"]
