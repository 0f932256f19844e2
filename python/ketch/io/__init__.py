"""Readers (``read_parquet``, ``read_csv``, ``read_json``) and in-memory
constructors (``from_pydict``, ``from_pylist``, ``from_arrow``, ``from_pandas``,
``range``), with Daft 0.7.26's parameters."""

from __future__ import annotations

import builtins
import os
import pathlib
import warnings
from typing import Any

import numpy as np
import pyarrow as pa

from ketch import dataframe as _dataframe
from ketch import file as _file
from ketch import functions as F
from ketch.context import _session
from ketch.dataframe import DataFrame, _from_table
from ketch.datatype import DataType, _as_dtype
from ketch.exceptions import DaftCoreException, expect_type
from ketch.expressions import col
from ketch.io import _huggingface
from ketch.io._generator import read_generator as read_generator
from ketch.io._mcap import read_mcap as read_mcap
from ketch.io._sql import read_sql as read_sql
from ketch.io._warc import read_warc as read_warc
from ketch.io._webdataset import read_webdataset as read_webdataset
from ketch.io.sink import DataSink as DataSink
from ketch.io.source import DataSource as DataSource
from ketch.io.source import DataSourceTask as DataSourceTask
from ketch.io_config import AzureConfig as AzureConfig
from ketch.io_config import GCSConfig as GCSConfig
from ketch.io_config import HTTPConfig as HTTPConfig
from ketch.io_config import HuggingFaceConfig as HuggingFaceConfig
from ketch.io_config import IOConfig as IOConfig
from ketch.io_config import S3Config as S3Config
from ketch.io_config import S3Credentials as S3Credentials
from ketch.io_config import io_config_json
from ketch.memory import from_arrow as from_arrow
from ketch.memory import from_pandas as from_pandas
from ketch.memory import from_pydict as from_pydict
from ketch.memory import from_pylist as from_pylist
from ketch.table_formats import read_deltalake as read_deltalake
from ketch.table_formats import read_iceberg as read_iceberg
from ketch.table_formats import read_lance as read_lance


def _paths(path: Any, fn: str) -> list[str]:
    if isinstance(path, (str, pathlib.Path)):
        items = [path]
    elif isinstance(path, (list, tuple)) and path and all(isinstance(p, (str, pathlib.Path)) for p in path):
        items = list(path)
    else:
        expect_type(fn, "path", path, (str, list), "str | list[str]")
        raise ValueError(f"{fn}: path must not be empty")
    out = []
    for p in items:
        s = str(p)
        if "://" not in s:
            s = os.path.abspath(os.path.expanduser(s)) + ("/" if s.endswith("/") else "")
        out.append(s)
    return out


def _schema(schema: dict[str, DataType] | None) -> pa.Schema | None:
    if schema is None:
        return None
    if not isinstance(schema, dict):
        raise TypeError(f"schema must be a dict of column name -> DataType, got {type(schema).__name__}")
    return pa.schema([pa.field(k, _as_dtype(v).to_arrow_dtype()) for k, v in schema.items()])


def _scan(fmt: str, path, fn: str, infer_schema: bool, schema, io_config: Any = None, **kwargs) -> DataFrame:
    if not infer_schema and schema is None:
        raise ValueError(f"{fn}: schema= is required when infer_schema=False")
    config = io_config_json(io_config)
    plan = _session().scan(fmt, _paths(path, fn), infer_schema, _schema(schema), io_config=config, **kwargs)
    return DataFrame(plan)


def read_parquet(
    path: str | list[str],
    row_groups: list[list[int]] | None = None,
    infer_schema: bool = True,
    schema: dict[str, DataType] | None = None,
    io_config: Any = None,
    file_path_column: str | None = None,
    hive_partitioning: bool = False,
    coerce_int96_timestamp_unit: Any = None,
    ignore_corrupt_files: bool = False,
    _multithreaded_io: bool | None = None,
    _chunk_size: int | None = None,
    checkpoint: Any = None,
) -> DataFrame:
    """Reads Parquet files: a path, a folder, a glob (``**`` recurses) or a list of them.

    ``schema`` overrides inferred column types by name (or is the whole schema
    with ``infer_schema=False``); ``file_path_column`` adds each row's source
    path; ``hive_partitioning`` reads ``key=value`` folders as columns.

    Raises ``FileNotFoundError`` when a path matches no file and
    ``DaftCoreException`` for a file that is not valid Parquet (on collect).
    """
    if row_groups is not None:
        raise ValueError("read_parquet(row_groups=...) is not supported yet")
    return _scan(
        "parquet",
        path,
        "read_parquet",
        infer_schema,
        schema,
        io_config=io_config,
        file_path_column=file_path_column,
        hive_partitioning=hive_partitioning,
    )


def read_csv(
    path: str | list[str],
    infer_schema: bool = True,
    schema: dict[str, DataType] | None = None,
    has_headers: bool = True,
    delimiter: str | None = None,
    double_quote: bool = True,
    quote: str | None = None,
    escape_char: str | None = None,
    comment: str | None = None,
    allow_variable_columns: bool = False,
    io_config: Any = None,
    file_path_column: str | None = None,
    hive_partitioning: bool = False,
    ignore_corrupt_files: bool = False,
    _buffer_size: int | None = None,
    _chunk_size: int | None = None,
    checkpoint: Any = None,
) -> DataFrame:
    """Reads CSV files (paths, folders, globs, lists). Without headers, columns
    are named ``column_1``, ``column_2``, ... as in Daft."""
    df = _scan(
        "csv",
        path,
        "read_csv",
        infer_schema,
        schema,
        io_config=io_config,
        file_path_column=file_path_column,
        hive_partitioning=hive_partitioning,
        has_headers=has_headers,
        delimiter=delimiter,
        quote=quote,
        escape_char=escape_char,
        comment=comment,
        double_quote=double_quote,
    )
    if not has_headers:
        names = df.column_names
        mapping = {n: f"column_{i + 1}" for i, n in enumerate(names) if n.startswith("column_")}
        if mapping:
            df = df.with_columns_renamed(mapping)
    return df


def read_json(
    path: str | list[str],
    infer_schema: bool = True,
    schema: dict[str, DataType] | None = None,
    io_config: Any = None,
    file_path_column: str | None = None,
    hive_partitioning: bool = False,
    skip_empty_files: bool = False,
    _buffer_size: int | None = None,
    _chunk_size: int | None = None,
    checkpoint: Any = None,
) -> DataFrame:
    """Reads newline-delimited JSON files (paths, folders, globs, lists)."""
    return _scan(
        "json",
        path,
        "read_json",
        infer_schema,
        schema,
        io_config=io_config,
        file_path_column=file_path_column,
        hive_partitioning=hive_partitioning,
    )


def read_text(
    path: str | list[str],
    *,
    encoding: str = "utf-8",
    skip_blank_lines: bool = True,
    whole_text: bool = False,
    file_path_column: str | None = None,
    hive_partitioning: bool = False,
    io_config: Any = None,
    _buffer_size: int | None = None,
    _chunk_size: int | None = None,
) -> DataFrame:
    """Reads UTF-8 text files (paths, folders, globs, lists; local or on an
    object store) as Daft does: one row per line in the String column
    ``text`` (line ends ``\n`` or ``\r\n`` dropped; a final line break ends
    the last line), lines that are empty or whitespace only skipped with
    ``skip_blank_lines``; with ``whole_text`` one row per file holding its
    whole content (empty files give no row). ``file_path_column`` adds each
    row's file path (String). ``hive_partitioning`` is accepted and, as in
    Daft 0.7.26, adds no columns.

    Raises ``DaftCoreException`` for an encoding other than UTF-8 or for
    bytes that are not valid UTF-8, ``FileNotFoundError`` when nothing
    matches ``path``."""
    if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise DaftCoreException(
            f"DaftError::ValueError Unsupported text encoding: {encoding}. Only UTF-8 is currently supported."
        )
    # An empty file holds no lines (and no whole text, as in Daft).
    # Listed now, as Daft's text scan does: nothing matching raises here.
    listed = _listed_files(_patterns(path), io_config_json(io_config), missing="raise")
    files = _from_table(listed).where(col("size") > 0)
    # The strict cast raises on invalid UTF-8 (``cast`` would give null), as Daft's read_text does.
    text = col("path").download(io_config=io_config)._cast(DataType.string(), True)
    extra = []
    if file_path_column is not None:
        local = F.regexp_replace(col("path"), "^file://", "")
        extra = [local.alias(file_path_column)]
    if whole_text:
        return files.select(text.alias("text"), *extra)
    # A line break at the very end starts no line.
    lines = F.regexp_split(F.regexp_replace(text, r"\r?\n$", ""), r"\r?\n")
    df = files.select(lines.alias("text"), *extra).explode("text")
    if skip_blank_lines:
        df = df.where(F.strip(col("text")) != "")
    return df


# --- in-memory sources: ketch.memory (re-exported) ---------------------


def range(start: int, end: int | None = None, step: int = 1, partitions: int = 1) -> DataFrame:  # noqa: A001
    """A DataFrame with one Int64 column ``id``: ``start, start+step, ... < end``
    (``range(n)`` counts from 0), split into ``partitions``."""
    if end is None:
        start, end = 0, start
    for name, v in (("start", start), ("end", end), ("step", step), ("partitions", partitions)):
        if not isinstance(v, int):
            raise TypeError(f"range(): {name} must be an int, got {type(v).__name__}")
    if step == 0:
        raise ValueError("range(): step must not be zero")
    if partitions < 1:
        raise ValueError("range(): partitions must be at least 1")
    ids = pa.array(np.arange(start, end, step, dtype=np.int64))
    n = len(ids)
    per = -(-n // partitions) if n else 0
    chunks = [ids.slice(i * per, per) for i in builtins.range(partitions)] if n else [ids]
    tables = [pa.table({"id": c}) for c in chunks]
    return _from_table(pa.concat_tables(tables), len(tables))


_GLOB_SCHEMA = pa.schema([("path", pa.string()), ("size", pa.int64()), ("num_rows", pa.int64())])


def _patterns(path: str | os.PathLike | list) -> list[str]:
    patterns = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    return [p if "://" in p else os.path.expanduser(p) for p in map(os.fspath, patterns)]


def _listed_files(patterns: list[str], config: str | None, missing: str) -> pa.Table:
    """The files ``patterns`` match, as :func:`from_glob_path`'s table; a
    pattern matching nothing raises ``FileNotFoundError`` naming it
    (``missing="raise"``) or warns (``"warn"``)."""
    files: list[tuple[str, int]] = []
    for p in patterns:
        try:
            files += _session().glob_files(p, io_config=config)
        except FileNotFoundError:
            if missing == "raise":
                raise
            warnings.warn(f"No matching file found by glob paths: {p!r}", stacklevel=1)
    columns = {
        "path": pa.array([f for f, _ in files], pa.string()),
        "size": pa.array([n for _, n in files], pa.int64()),
        "num_rows": pa.nulls(len(files), pa.int64()),
    }
    return pa.table(columns, schema=_GLOB_SCHEMA)


def from_glob_path(path: str | list[str], io_config: Any = None) -> DataFrame:
    """One row per file matching ``path`` (a glob pattern, a directory or a file,
    local or on an object store; or a list of them): ``path`` (String: the
    file's URL, ``file:///...`` for local files), ``size`` (Int64, bytes) and
    ``num_rows`` (null Int64), as Daft. A directory lists the files directly
    in it; ``**`` matches any depth. Lazy, as in Daft: the files are listed
    when the DataFrame runs. A pattern that matches nothing adds no rows and
    warns (``UserWarning``) naming it; Daft logs the same message and then
    fails with an internal error, ketch returns the rows of the other
    patterns, or an empty table with the schema.

    >>> import tempfile, warnings, ketch
    >>> folder = tempfile.mkdtemp()
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     ketch.from_glob_path(folder + "/*.jpg").to_pydict()
    {'path': [], 'size': [], 'num_rows': []}
    """
    config = io_config_json(io_config)
    patterns = _patterns(path)

    def list_files(columns: list[str], filters: list[str], limit: int | None) -> pa.Table:
        return _listed_files(patterns, config, missing="warn")

    return DataFrame(_session().scan_python(_GLOB_SCHEMA, list_files, "GlobScan"))


def read_blob(
    path: str | list[str],
    *,
    max_connections: int = 32,
    on_error: str = "raise",
    io_config: Any = None,
) -> DataFrame:
    """The files matching ``path`` with their bytes: ``path``, ``size``, ``content`` (Binary)."""
    df = from_glob_path(path, io_config=io_config)
    content = col("path").download(max_connections=max_connections, on_error=on_error, io_config=io_config)
    return df.select(col("path"), col("size"), content.alias("content"))


def from_files(path: str | list[str], io_config: Any = None) -> DataFrame:
    """A DataFrame with one ``file`` column (``File``) of the files matching
    ``path`` (a glob, folder or file, or a list of them; local or on an
    object store), as Daft's ``from_files``. Lazy; files are referenced, not
    read. A pattern matching nothing gives no rows.

    >>> import os, tempfile, ketch
    >>> folder = tempfile.mkdtemp()
    >>> for name in ("a.txt", "b.txt"):
    ...     _ = open(os.path.join(folder, name), "w").write(name)
    >>> files = ketch.from_files(os.path.join(folder, "*.txt")).to_pydict()["file"]
    >>> [f.read() for f in files]
    [b'a.txt', b'b.txt']
    """
    return from_glob_path(path, io_config=io_config).select(F.file(col("path"), io_config=io_config).alias("file"))


def _read_remote_file(url: str, io_config: Any, fn: str) -> Any:
    """``fn`` (``download``, ``file_size``, ``file_exists``) of the remote file
    ``url``, run by the engine with ``io_config`` (for :class:`ketch.File`)."""
    f = F.file(col("u"), io_config=io_config)
    expr = F.download(f, io_config=io_config) if fn == "download" else getattr(F, fn)(f)
    return from_pydict({"u": [url]}).select(expr.alias("v")).to_pydict()["v"][0]


_file._read_remote = _read_remote_file


_dataframe._file_readers.update(parquet=read_parquet, csv=read_csv, json=read_json)


def read_huggingface(repo: str, io_config: IOConfig | None = None, format: str | None = None) -> DataFrame:
    """A DataFrame of a Hugging Face dataset (Daft's ``read_huggingface``), read
    over HTTPS from ``$HF_ENDPOINT`` (default ``https://huggingface.co``).

    Args:
        repo (str): the dataset, ``"user/dataset_name"``.
        io_config (IOConfig | None): ``hf=HuggingFaceConfig(token=...)`` for
            private or gated datasets (or ``http.bearer_token``); default the
            planning config's ``default_io_config``.
        format (str | None): ``None`` or ``"parquet"``: the Hub's Parquet
            conversion of the dataset (every config and split, in the Hub's
            listing order); ``"webdataset"``: the repository's uncompressed
            ``.tar`` shards, read as :func:`read_webdataset` reads them.

    Returns:
        DataFrame: lazy; the Parquet files' columns. A dataset the Hub has no
        Parquet conversion for is loaded with the ``datasets`` library, as in
        Daft.

    Raises:
        ValueError: another ``format``, or a ``repo`` not of the form ``user/name``.
        PermissionError: the Hub refused the token (HTTP 401/403).
        ImportError: no Parquet conversion and ``datasets`` is not installed.
        FileNotFoundError: no such dataset, or (webdataset) no ``.tar`` shard in it.
    """
    kind, files, config = _huggingface.resolve(repo, io_config, format)
    if kind == "webdataset":
        return read_webdataset(files, io_config=config)
    if kind == "parquet":
        return read_parquet(files, io_config=config)
    return _huggingface.from_datasets_library(repo)
