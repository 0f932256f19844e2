"""Table formats through their projects' Python packages, as Daft 0.7.26 does:
Delta Lake (``deltalake``), Apache Iceberg (``pyiceberg``) and Lance
(``pylance``).

No Rust crate of these projects builds on ketch's pinned DataFusion/Arrow, so
each package reads the table's metadata (snapshot, files, partition values,
schema) and ketch reads the data:

- Delta Lake and Iceberg data files are Parquet: ketch's own Parquet scan
  reads them (column projection, row-group statistics, page index and limits
  as for ``read_parquet``; object stores through ``io_config``). Delta
  partition values (not stored in the files) come from the add actions.
  Where that is not exact (Delta deletion vectors or column mapping, Iceberg
  delete files or schema evolution), the package's own reader feeds an Arrow
  stream into a ketch scan with the columns, filters and limit pushed down.
- Lance data is read by ``lance``'s scanner fed the same pushdowns.

Writers run the ketch query as an Arrow stream into the package's writer.
"""

from __future__ import annotations

import abc
import importlib
import os
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow as pa

from ketch import dataframe
from ketch.context import _session, get_context
from ketch.dataframe import DataFrame, _from_table
from ketch.datatype import DataType
from ketch.expressions import lit
from ketch.io_config import IOConfig, io_config_json
from ketch.runners import get_or_create_runner


def _require(module: str, package: str, fn: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"{fn} needs the `{package}` package: pip install {package}") from e


def _config(io_config: IOConfig | None) -> IOConfig:
    config = get_context().daft_planning_config.default_io_config if io_config is None else io_config
    if not isinstance(config, IOConfig):
        raise TypeError(f"io_config must be an IOConfig, got {type(config).__name__}")
    return config


def storage_options(io_config: IOConfig | None, uri: str) -> dict[str, str] | None:
    """``io_config`` as the ``object_store`` options delta-rs and Lance take
    for ``uri``'s store (Daft's ``io_config_to_storage_options``); None for
    local paths."""
    config = _config(io_config)
    parsed = urlparse(str(uri))
    out: dict[str, str] = {}
    if parsed.scheme in ("s3", "s3a"):
        s3 = config.s3
        pairs = {
            "region": s3.region_name,
            "endpoint_url": s3.endpoint_url,
            "access_key_id": s3.key_id,
            "secret_access_key": s3.access_key,
            "session_token": s3.session_token,
        }
        out = {k: v for k, v in pairs.items() if v is not None}
        http = (s3.endpoint_url or "").startswith("http://") or not s3.use_ssl
        out["allow_http"] = "true" if http else "false"
        if not s3.verify_ssl:
            out["allow_invalid_certificates"] = "true"
        if s3.anonymous:
            out["skip_signature"] = "true"
        if s3.force_virtual_addressing:
            out["virtual_hosted_style_request"] = "true"
    elif parsed.scheme in ("gs", "gcs"):
        if config.gcs.credentials is not None:
            out["google_application_credentials"] = config.gcs.credentials
    elif parsed.scheme in ("az", "abfs", "abfss"):
        az = config.azure
        pairs = {
            "account_name": az.storage_account,
            "access_key": az.access_key,
            "sas_token": az.sas_token,
            "bearer_token": az.bearer_token,
            "tenant_id": az.tenant_id,
            "client_id": az.client_id,
            "client_secret": az.client_secret,
            "endpoint": az.endpoint_url,
        }
        out = {k: v for k, v in pairs.items() if v is not None}
        if az.use_fabric_endpoint:
            out["use_fabric_endpoint"] = "true"
        if not az.use_ssl:
            out["allow_http"] = "true"
    else:
        return None
    return out


def _uri(table: Any, fn: str) -> str:
    if isinstance(table, (str, os.PathLike)):
        uri = os.fspath(table)
        return uri if "://" in uri else os.path.abspath(os.path.expanduser(uri))
    raise TypeError(f"{fn}: table must be a path or URL string, got {type(table).__name__}")


def _python_scan(schema: pa.Schema, factory: Any, name: str) -> DataFrame:
    return DataFrame(_session().scan_python(schema, factory, name))


def _parquet_scan(files: list[str], schema: pa.Schema, io_config: IOConfig | None) -> DataFrame:
    """The Parquet ``files`` read with ``schema`` (columns missing from a file
    read as nulls)."""
    return DataFrame(_session().scan("parquet", files, False, schema, io_config=io_config_json(io_config)))


def _empty(schema: pa.Schema) -> DataFrame:
    return _from_table(schema.empty_table())


# --- Delta Lake ------------------------------------------------------------


def read_deltalake(
    table: Any,
    version: int | str | Any = None,
    io_config: IOConfig | None = None,
    ignore_deletion_vectors: bool = False,
    _multithreaded_io: bool | None = None,
) -> DataFrame:
    """Reads a Delta Lake table (a path or URL; ``version`` a version number,
    timestamp string or datetime) at its latest or the given version.

    Columns and types are the table's schema, in its order. Tables with
    deletion vectors or column mapping are read through ``deltalake``'s own
    engine (deleted rows left out); ``ignore_deletion_vectors`` reads every
    row of the data files instead. Raises ``ImportError`` without ``deltalake``, and
    ``deltalake``'s ``TableNotFoundError`` for a path with no table."""
    deltalake = _require("deltalake", "deltalake", "read_deltalake")
    uri = _uri(table, "read_deltalake")
    options = storage_options(io_config, uri)
    dt = deltalake.DeltaTable(uri, storage_options=options)
    if version is not None:
        dt.load_as_version(version)
    schema = pa.schema(dt.schema().to_arrow())
    metadata = dt.metadata()
    mapped = metadata.configuration.get("delta.columnMapping.mode", "none").lower() != "none"
    features = set(dt.protocol().reader_features or [])
    with_dv = "deletionVectors" in features and not ignore_deletion_vectors
    if mapped or with_dv:
        return _delta_engine_scan(dt, uri, options, schema)
    actions = pa.table(dt.get_add_actions(flatten=True))
    if actions.num_rows == 0:
        return _empty(schema)
    parts = list(metadata.partition_columns)
    data_schema = pa.schema([f for f in schema if f.name not in parts])
    files = _file_uris(uri, actions.column("path").to_pylist(), dt.file_uris())
    if not parts:
        return _parquet_scan(files, data_schema, io_config)
    # One scan per partition, its values as literal columns: a filter on a
    # partition column folds to true/false per scan and prunes whole scans.
    groups: dict[tuple, list[str]] = {}
    values = [actions.column(f"partition.{p}").to_pylist() for p in parts]
    for i, file in enumerate(files):
        groups.setdefault(tuple(v[i] for v in values), []).append(file)
    frames = []
    for key, group in groups.items():
        df = _parquet_scan(group, data_schema, io_config)
        df = df.with_columns({p: lit(v).cast(_dtype(schema.field(p).type)) for p, v in zip(parts, key)}).select(
            *schema.names
        )
        frames.append(df)
    out: DataFrame = frames[0]
    for df in frames[1:]:
        out = out.concat(df)
    return out


def _dtype(arrow_type: pa.DataType) -> Any:
    return DataType.from_arrow_type(arrow_type)


def _file_uris(root: str, paths: list[str], uris: list[str]) -> list[str]:
    """The URI of each add action's file (``paths``: the actions' relative,
    percent-encoded paths): ``file_uris`` where it lists the same files in
    the same order, else the table root joined with each decoded path."""
    decoded = [unquote(p) for p in paths]
    if len(uris) == len(paths) and all(u.endswith(d) for u, d in zip(uris, decoded)):
        return uris
    return [d if "://" in d else f"{root.rstrip('/')}/{d}" for d in decoded]


class _Reopenable(abc.ABC):
    """A Python source's factory that travels with its plan: it pickles the
    arguments that open its table, never the open table (which holds
    handles that do not pickle), and opens it again where it runs."""

    def __init__(self, opened: Any) -> None:
        self._opened = opened

    @abc.abstractmethod
    def _open(self) -> Any:
        """The table, opened from the pickled arguments."""

    def table(self) -> Any:
        if self._opened is None:
            self._opened = self._open()
        return self._opened

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_opened": None}


class _DeltaSource(_Reopenable):
    """A Delta table at one version, read by ``deltalake``'s query engine,
    pushdowns as SQL."""

    def __init__(self, dt: Any, uri: str, options: dict[str, str] | None) -> None:
        super().__init__(dt)
        self.uri, self.version, self.options = uri, dt.version(), options

    def _open(self) -> Any:
        deltalake = _require("deltalake", "deltalake", "read_deltalake")
        return deltalake.DeltaTable(self.uri, version=self.version, storage_options=self.options)

    def __call__(self, columns: list[str], filters: list[str], limit: int | None) -> Any:
        deltalake = _require("deltalake", "deltalake", "read_deltalake")
        names = ", ".join('"' + c.replace('"', '""') + '"' for c in columns) or "1"
        sql = f"SELECT {names} FROM t"
        if filters:
            sql += " WHERE " + " AND ".join(f"({f})" for f in filters)
        if limit is not None:
            sql += f" LIMIT {limit}"
        return pa.RecordBatchReader.from_stream(deltalake.QueryBuilder().register("t", self.table()).execute(sql))


def _delta_engine_scan(dt: Any, uri: str, options: dict[str, str] | None, schema: pa.Schema) -> DataFrame:
    """The table read by ``deltalake``'s query engine (see :class:`_DeltaSource`)."""
    return _python_scan(schema, _DeltaSource(dt, uri, options), "deltalake")


def write_deltalake(
    df: DataFrame,
    table: Any,
    partition_cols: list[str] | None = None,
    mode: str = "append",
    schema_mode: str | None = None,
    name: str | None = None,
    description: str | None = None,
    configuration: Any = None,
    custom_metadata: dict[str, str] | None = None,
    dynamo_table_name: str | None = None,
    allow_unsafe_rename: bool = False,
    io_config: IOConfig | None = None,
) -> DataFrame:
    """``DataFrame.write_deltalake``: see there."""
    deltalake = _require("deltalake", "deltalake", "write_deltalake")
    if mode not in ("append", "overwrite", "error", "ignore"):
        raise ValueError(f"Only support `append`, `overwrite`, `error` or `ignore` mode. {mode} is unsupported")
    if isinstance(table, deltalake.DeltaTable):
        uri, options = table.table_uri, None
    else:
        uri = _uri(table, "write_deltalake")
        options = storage_options(io_config, uri)
    if options is not None and dynamo_table_name is not None:
        options = {**options, "AWS_S3_LOCKING_PROVIDER": "dynamodb", "DELTA_DYNAMO_TABLE_NAME": dynamo_table_name}
    if options is not None and allow_unsafe_rename:
        options = {**options, "AWS_S3_ALLOW_UNSAFE_RENAME": "true"}
    try:
        before = _delta_files(deltalake.DeltaTable(uri, storage_options=options))
    except deltalake.exceptions.TableNotFoundError:
        before = {}
    commit = deltalake.CommitProperties(custom_metadata=custom_metadata) if custom_metadata else None
    reader = get_or_create_runner().run_iter(df._plan)
    deltalake.write_deltalake(
        uri,
        reader,
        partition_by=partition_cols,
        mode=mode,
        schema_mode=schema_mode,
        name=name,
        description=description,
        configuration=configuration,
        storage_options=options,
        commit_properties=commit,
    )
    after = _delta_files(deltalake.DeltaTable(uri, storage_options=options))
    rows = [("ADD", *after[p], p) for p in after if p not in before]
    rows += [("DELETE", *before[p], p) for p in before if p not in after]
    return _file_changes(rows)


def _file_changes(rows: list[tuple[str, int | None, int, str]]) -> DataFrame:
    """The files a table write added and removed, as Daft reports them:
    ``operation`` (``ADD``/``DELETE``), ``rows``, ``file_size`` (bytes) and
    ``file_name`` (the file's base name)."""
    return _from_table(
        pa.table(
            {
                "operation": pa.array([r[0] for r in rows], pa.string()),
                "rows": pa.array([r[1] for r in rows], pa.int64()),
                "file_size": pa.array([r[2] for r in rows], pa.int64()),
                "file_name": pa.array([os.path.basename(r[3]) for r in rows], pa.string()),
            }
        )
    )


def _delta_files(dt: Any) -> dict[str, tuple[int | None, int]]:
    """``{path: (rows, bytes)}`` of the table's live files."""
    actions = pa.table(dt.get_add_actions(flatten=True))
    return {
        p: (n, size)
        for p, n, size in zip(
            actions.column("path").to_pylist(),
            actions.column("num_records").to_pylist(),
            actions.column("size_bytes").to_pylist(),
        )
    }


# --- Iceberg ---------------------------------------------------------------


def _iceberg_properties(io_config: IOConfig | None) -> dict[str, str]:
    """``io_config`` as pyiceberg FileIO properties."""
    s3 = _config(io_config).s3
    pairs = {
        "s3.endpoint": s3.endpoint_url,
        "s3.access-key-id": s3.key_id,
        "s3.secret-access-key": s3.access_key,
        "s3.session-token": s3.session_token,
        "s3.region": s3.region_name,
    }
    return {k: v for k, v in pairs.items() if v is not None}


def read_iceberg(
    table: Any,
    snapshot_id: int | None = None,
    branch: str | None = None,
    tag: str | None = None,
    io_config: IOConfig | None = None,
    checkpoint: Any = None,
    ignore_corrupt_files: bool = False,
) -> DataFrame:
    """Reads an Iceberg table: a ``pyiceberg`` ``Table`` or the location of a
    table's metadata JSON file, at its current snapshot or the one
    ``snapshot_id``, ``branch`` or ``tag`` names (at most one of them).

    Columns and types are the table's current schema. Raises ``ValueError``
    for several snapshot selectors or an unknown branch/tag, ``ImportError``
    without ``pyiceberg``."""
    _require("pyiceberg", "pyiceberg", "read_iceberg")
    if sum(x is not None for x in (snapshot_id, branch, tag)) > 1:
        raise ValueError("read_iceberg: give at most one of snapshot_id, branch and tag")
    if isinstance(table, (str, os.PathLike)):
        from pyiceberg.table import StaticTable

        table = StaticTable.from_metadata(os.fspath(table), properties=_iceberg_properties(io_config))
    for ref in (branch, tag):
        if ref is not None:
            snapshot = table.snapshot_by_name(ref)
            if snapshot is None:
                raise ValueError(f"read_iceberg: the table has no branch or tag named {ref!r}")
            snapshot_id = snapshot.snapshot_id
    if snapshot_id is not None and table.snapshot_by_id(snapshot_id) is None:
        raise ValueError(f"read_iceberg: the table has no snapshot {snapshot_id}")
    schema = table.schema().as_arrow()
    if snapshot_id is None and table.metadata.current_snapshot_id is None:
        return _empty(schema)
    tasks = list(table.scan(snapshot_id=snapshot_id).plan_files())
    if not tasks:
        return _empty(schema)
    evolved = len(table.schemas()) > 1
    if evolved or any(t.delete_files for t in tasks):
        return _iceberg_engine_scan(table, snapshot_id, schema)
    return _parquet_scan([t.file.file_path for t in tasks], schema, io_config)


class _IcebergSource(_Reopenable):
    """An Iceberg table at one snapshot read by pyiceberg (deletes applied,
    columns matched by field id), the columns and limit pushed down; opened
    again from its metadata file where it runs."""

    def __init__(self, table: Any, snapshot_id: int | None) -> None:
        super().__init__(table)
        self.metadata_location = table.metadata_location
        self.properties = dict(table.io.properties)
        self.snapshot_id = snapshot_id if snapshot_id is not None else table.metadata.current_snapshot_id

    def _open(self) -> Any:
        from pyiceberg.table import StaticTable

        return StaticTable.from_metadata(self.metadata_location, properties=self.properties)

    def __call__(self, columns: list[str], filters: list[str], limit: int | None) -> Any:
        selected = tuple(columns) or ("*",)
        scan = self.table().scan(snapshot_id=self.snapshot_id, selected_fields=selected, limit=limit)
        return scan.to_arrow_batch_reader()


def _iceberg_engine_scan(table: Any, snapshot_id: int | None, schema: pa.Schema) -> DataFrame:
    """The table read by pyiceberg (see :class:`_IcebergSource`)."""
    return _python_scan(schema, _IcebergSource(table, snapshot_id), "iceberg")


def write_iceberg(
    df: DataFrame,
    table: Any,
    mode: str = "append",
    io_config: IOConfig | None = None,
    snapshot_properties: dict[str, str] | None = None,
) -> DataFrame:
    """``DataFrame.write_iceberg``: see there."""
    _require("pyiceberg", "pyiceberg", "write_iceberg")
    if mode not in ("append", "overwrite"):
        raise ValueError(f"Only support `append` or `overwrite` mode. {mode} is unsupported")

    def files() -> dict[str, Any]:
        if table.metadata.current_snapshot_id is None:
            return {}
        return {t.file.file_path: t.file for t in table.scan().plan_files()}

    before = files()
    data = df.to_arrow()
    props = snapshot_properties or {}
    if mode == "append":
        table.append(data, snapshot_properties=props)
    else:
        table.overwrite(data, snapshot_properties=props)
    after = files()
    changes = [("ADD", f) for p, f in after.items() if p not in before]
    changes += [("DELETE", f) for p, f in before.items() if p not in after]
    return _file_changes([(op, f.record_count, f.file_size_in_bytes, f.file_path) for op, f in changes])


# --- Lance -----------------------------------------------------------------


def read_lance(
    uri: Any,
    io_config: IOConfig | None = None,
    version: Any = None,
    asof: Any = None,
    block_size: Any = None,
    commit_lock: Any = None,
    index_cache_size: Any = None,
    default_scan_options: Any = None,
    metadata_cache_size_bytes: Any = None,
    fragment_group_size: Any = None,
    include_fragment_id: Any = None,
    checkpoint: Any = None,
) -> DataFrame:
    """Reads a Lance dataset (path or URL) at its latest ``version`` (or the
    given version number or tag, or the one current ``asof`` a timestamp).
    Lance's scanner reads only the columns the query uses and skips rows with
    the query's filters (SQL) and limit. Raises ``ImportError`` without
    ``pylance``, ``ValueError`` from Lance for a path with no dataset."""
    lance = _require("lance", "pylance", "read_lance")
    path = _uri(uri, "read_lance")
    kwargs = {
        "version": version,
        "asof": asof,
        "block_size": block_size,
        "commit_lock": commit_lock,
        "index_cache_size": index_cache_size,
        "default_scan_options": default_scan_options,
        "metadata_cache_size_bytes": metadata_cache_size_bytes,
    }
    options = storage_options(io_config, path)
    ds = lance.dataset(path, storage_options=options, **{k: v for k, v in kwargs.items() if v})
    return _python_scan(ds.schema, _LanceSource(ds, path, options, kwargs), "lance")


class _LanceSource(_Reopenable):
    """A Lance dataset at one version, read by Lance's scanner with the
    query's columns, filters (SQL) and limit; opened again where it runs."""

    def __init__(self, ds: Any, path: str, options: dict[str, str] | None, kwargs: dict[str, Any]) -> None:
        super().__init__(ds)
        self.path, self.options = path, options
        # The version read, however it was chosen (number, tag, asof).
        self.kwargs = {k: v for k, v in kwargs.items() if v and k not in ("version", "asof", "commit_lock")}
        self.kwargs["version"] = ds.version

    def _open(self) -> Any:
        lance = _require("lance", "pylance", "read_lance")
        return lance.dataset(self.path, storage_options=self.options, **self.kwargs)

    def __call__(self, columns: list[str], filters: list[str], limit: int | None) -> Any:
        where = " AND ".join(f"({f})" for f in filters) or None
        return self.table().scanner(columns=columns, filter=where, limit=limit).to_reader()


def write_lance(
    df: DataFrame,
    uri: Any,
    mode: str = "create",
    io_config: IOConfig | None = None,
    schema: Any = None,
    left_on: str | None = None,
    right_on: str | None = None,
    **kwargs: Any,
) -> DataFrame:
    """``DataFrame.write_lance``: see there."""
    lance = _require("lance", "pylance", "write_lance")
    if mode not in ("create", "append", "overwrite", "merge"):
        raise ValueError(f"Only support `create`, `append`, `overwrite` or `merge` mode. {mode} is unsupported")
    path = _uri(uri, "write_lance")
    options = storage_options(io_config, path)
    reader = get_or_create_runner().run_iter(df._plan)
    if schema is not None and not isinstance(schema, pa.Schema):
        schema = schema.to_pyarrow_schema()
    if mode == "merge":
        if left_on is None and right_on is None:
            raise ValueError("write_lance(mode='merge') needs left_on (the dataset's join column) and right_on")
        ds = lance.dataset(path, storage_options=options)
        ds.merge(reader, left_on=left_on, right_on=right_on or left_on)
        ds = lance.dataset(path, storage_options=options)
    else:
        ds = lance.write_dataset(reader, path, schema=schema, mode=mode, storage_options=options, **kwargs)
    stats = [(f.fragment_id, f.count_rows()) for f in ds.get_fragments()]
    return _from_table(
        pa.table(
            {
                "num_fragments": pa.array([len(stats)], pa.int64()),
                "num_rows": pa.array([sum(n for _, n in stats)], pa.int64()),
                "version": pa.array([ds.version], pa.int64()),
            }
        )
    )


dataframe._table_writers.update(deltalake=write_deltalake, iceberg=write_iceberg, lance=write_lance)
