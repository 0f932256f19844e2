"""ketch: a dataframe engine for multimodal data, API-compatible with Daft 0.7.26.

``import ketch as daft`` runs a Daft user's script: the same names, parameters,
defaults, results and exception classes, on a Rust engine built on Apache
DataFusion.
"""

from __future__ import annotations

from ketch import context, errors, exceptions, functions
from ketch import session as _session_module
from ketch._native import __version__
from ketch.catalog import Catalog, Identifier, Table
from ketch.context import (
    execution_config_ctx,
    get_context,
    planning_config_ctx,
    set_execution_config,
    set_planning_config,
)
from ketch.dataframe import DataFrame, GroupedDataFrame
from ketch.datatype import DataType, TimeUnit
from ketch.expressions import Expression, col, element, lit
from ketch.file import File
from ketch.io import (
    from_arrow,
    from_glob_path,
    from_pandas,
    from_pydict,
    from_pylist,
    range,
    read_blob,
    read_csv,
    read_json,
    read_parquet,
    read_text,
)
from ketch.io_config import IOConfig
from ketch.logical import ImageFormat, ImageMode
from ketch.runners import get_or_create_runner, get_or_infer_runner_type, set_runner_native
from ketch.schema import Field, Schema
from ketch.series import Series
from ketch.session import FORWARDED as _FORWARDED
from ketch.session import Session, current_session, set_session
from ketch.sql import sql, sql_expr
from ketch.table_formats import read_deltalake, read_iceberg, read_lance
from ketch.udf import cls, func, method, udf
from ketch.window import Window

globals().update({_n: getattr(_session_module, _n) for _n in _FORWARDED})

__all__ = [
    *_FORWARDED,
    "Catalog",
    "Identifier",
    "Session",
    "Table",
    "current_session",
    "set_session",
    "sql",
    "sql_expr",
    "DataFrame",
    "DataType",
    "File",
    "ImageFormat",
    "ImageMode",
    "from_glob_path",
    "read_blob",
    "Expression",
    "Field",
    "IOConfig",
    "GroupedDataFrame",
    "Schema",
    "Series",
    "TimeUnit",
    "Window",
    "__version__",
    "col",
    "element",
    "cls",
    "context",
    "errors",
    "exceptions",
    "execution_config_ctx",
    "from_arrow",
    "from_pandas",
    "from_pydict",
    "from_pylist",
    "func",
    "functions",
    "get_context",
    "lit",
    "method",
    "range",
    "read_csv",
    "read_json",
    "read_text",
    "read_deltalake",
    "read_iceberg",
    "read_lance",
    "read_parquet",
    "planning_config_ctx",
    "set_execution_config",
    "set_planning_config",
    "set_runner_native",
    "get_or_create_runner",
    "get_or_infer_runner_type",
    "udf",
]
