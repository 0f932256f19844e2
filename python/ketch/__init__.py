"""ketch: a dataframe engine for multimodal data, API-compatible with Daft 0.7.26.

``import ketch as daft`` runs a Daft user's script: the same names, parameters,
defaults, results and exception classes, on a Rust engine built on Apache
DataFusion.
"""

# The package's modules form layers, listed bottom to top below (names relative
# to ``ketch``; tests/test_package_layers.py checks them):
#
# layer 1 core: _native exceptions errors logical display io_config context datatype file logical_values pyvalues schema
# layer 1 subscribers: subscribers.events subscribers.abc subscribers.event_log subscribers.dashboard subscribers
# layer 2 expressions: expressions window multimodal functions
# layer 3 plans: runners runners.progress_bar runners.observe runners.runner runners.native dataframe series
# layer 3 tables: memory recordbatch recordbatch.micropartition recordbatch.recordbatch
# layer 4 sources: table_formats io io.pushdowns io.source io.sink io._generator io._sql
# layer 4 file-formats: io._warc io._mcap io._webdataset io._huggingface
# layer 4 catalogs: catalog session sql sql.sql_connection
# layer 4 udfs: udf udf.convert udf.hints udf.execution udf.process udf.func udf.legacy udf.udaf
# layer 5 package: ketch
#
# Core is values, types and settings; expressions build expression trees; plans
# build and run DataFrames (and Series, which the engine computes); the top
# layer reads sources, resolves SQL and catalogs, and runs UDFs. A module
# imports, at module level, only modules of its own layer or a lower one, and
# no modules import each other in a circle. Functions import no ketch module
# (tests/test_package_layers.py lists the few left while being rewritten),
# and of third-party packages only optional ones (pandas, pyiceberg, ...).
# Where a lower module must hand off to a higher one at run time, the higher
# one sets a hook of the lower one when it is imported (``import ketch`` always
# imports them all): ketch.context sets ``io_config._default_io_config``,
# ketch.io ``file._read_remote`` and ``dataframe._file_readers``
# (skip_existing), ketch.window ``expressions._over_window``,
# ketch.udf.legacy ``expressions._apply_udf`` and ketch.table_formats
# ``dataframe._table_writers`` (Delta Lake, Iceberg and Lance writers).

from __future__ import annotations

from ketch import context, errors, exceptions, functions, subscribers
from ketch import session as _session_module
from ketch._native import __version__
from ketch.catalog import Catalog, Identifier, Table
from ketch.context import (
    attach_subscriber,
    detach_subscriber,
    event_log_ctx,
    execution_config_ctx,
    get_context,
    planning_config_ctx,
    set_event_log_config,
    set_execution_config,
    set_planning_config,
    with_subscriber,
)
from ketch.dataframe import DataFrame, GroupedDataFrame, concat
from ketch.datatype import DataType, MediaType, TimeUnit, UnionMode
from ketch.expressions import Expression, col, element, interval, lit
from ketch.file import File, open_file
from ketch.io import (
    from_arrow,
    from_files,
    from_glob_path,
    from_pandas,
    from_pydict,
    from_pylist,
    range,
    read_blob,
    read_csv,
    read_huggingface,
    read_json,
    read_mcap,
    read_parquet,
    read_sql,
    read_text,
    read_warc,
    read_webdataset,
)
from ketch.io_config import IOConfig
from ketch.logical import ImageFormat, ImageMode
from ketch.memory import from_dask_dataframe, from_ray_dataset
from ketch.runners import get_or_create_runner, get_or_infer_runner_type, set_runner_native
from ketch.schema import Field, Schema
from ketch.series import Series
from ketch.session import FORWARDED as _FORWARDED
from ketch.session import Session, current_session, set_session
from ketch.sql import sql, sql_expr
from ketch.table_formats import read_deltalake, read_iceberg, read_lance
from ketch.udf import cls, func, method, udaf, udf
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
    "from_files",
    "from_glob_path",
    "open_file",
    "read_blob",
    "Expression",
    "Field",
    "IOConfig",
    "GroupedDataFrame",
    "Schema",
    "Series",
    "TimeUnit",
    "UnionMode",
    "MediaType",
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
    "from_dask_dataframe",
    "from_ray_dataset",
    "from_pydict",
    "from_pylist",
    "func",
    "functions",
    "get_context",
    "lit",
    "method",
    "range",
    "read_csv",
    "read_huggingface",
    "read_json",
    "read_text",
    "read_deltalake",
    "read_iceberg",
    "read_lance",
    "read_parquet",
    "read_sql",
    "read_mcap",
    "read_warc",
    "read_webdataset",
    "planning_config_ctx",
    "set_execution_config",
    "set_planning_config",
    "set_runner_native",
    "get_or_create_runner",
    "get_or_infer_runner_type",
    "udaf",
    "udf",
    "attach_subscriber",
    "detach_subscriber",
    "with_subscriber",
    "set_event_log_config",
    "event_log_ctx",
    "subscribers",
    "interval",
    "concat",
]
