"""``read_warc``: Web ARChive files (Daft's ``daft.io._warc``), parsed with
``warcio``; one row per record, Daft's columns and types.

>>> import io, os, tempfile, ketch
>>> from warcio.warcwriter import WARCWriter
>>> path = os.path.join(tempfile.mkdtemp(), "a.warc.gz")
>>> with open(path, "wb") as f:
...     w = WARCWriter(f, gzip=True)
...     body = io.BytesIO(b"hello")
...     w.write_record(w.create_warc_record("https://example.com/", "resource", payload=body))
>>> ketch.read_warc(path).select("WARC-Type", "WARC-Target-URI", "warc_content").to_pydict()
{'WARC-Type': ['resource'], 'WARC-Target-URI': ['https://example.com/'], 'warc_content': [b'hello']}
"""

from __future__ import annotations

import datetime
import gzip
import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from warcio.archiveiterator import ArchiveIterator

from ketch.context import _session
from ketch.datatype import DataType, TimeUnit
from ketch.file import File as _File
from ketch.file import _local
from ketch.io.pushdowns import Pushdowns
from ketch.io.source import DataSource, DataSourceTask
from ketch.io_config import io_config_json
from ketch.schema import Schema

# Record headers with columns of their own (the rest go to ``warc_headers``).
_COLUMNS = ("WARC-Record-ID", "WARC-Target-URI", "WARC-Type", "WARC-Date", "Content-Length")
_PAYLOAD_TYPE = "WARC-Identified-Payload-Type"
_ROWS_PER_BATCH = 1024


def _schema(file_path_column: str | None) -> Schema:
    fields = {
        "WARC-Record-ID": DataType.uuid(),
        "WARC-Target-URI": DataType.string(),
        "WARC-Type": DataType.string(),
        "WARC-Date": DataType.timestamp(TimeUnit.ns(), timezone="Etc/UTC"),
        "Content-Length": DataType.int64(),
        "WARC-Identified-Payload-Type": DataType.string(),
        "warc_content": DataType.binary(),
        "warc_headers": DataType.string(),
    }
    if file_path_column is not None:
        fields[file_path_column] = DataType.string()
    return Schema.from_pydict(fields)


def _record_id(value: str | None) -> bytes | None:
    """``<urn:uuid:...>`` as the UUID's 16 bytes."""
    if value is None:
        return None
    text = value.strip().strip("<>")
    return uuid.UUID(text.removeprefix("urn:uuid:")).bytes


def _date(value: str | None) -> datetime.datetime | None:
    if value is None:
        return None
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)


def _open(url: str, io_config: Any) -> io.BufferedIOBase:
    local = _local(url)
    raw = open(local, "rb") if local is not None else io.BytesIO(_File(url, io_config).read())  # noqa: SIM115
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else raw.getvalue()[:2]
    # warcio reads gzip only as one member per record; a file gzipped whole is
    # valid WARC too (Daft reads both): decompress it here instead.
    return gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw


class _WarcTask(DataSourceTask):
    def __init__(self, url: str, source: _WarcSource) -> None:
        self.url = url
        self.source = source

    @property
    def schema(self) -> Schema:
        return self.source.schema

    def read(self) -> Iterator[pa.Table]:
        arrow_schema = self.source.schema.to_pyarrow_schema()
        rows: list[dict[str, Any]] = []
        with _open(self.url, self.source.io_config) as stream:
            for record in ArchiveIterator(stream, no_record_parse=True, arc2warc=True):
                headers = dict(record.rec_headers.headers)
                length = headers.get("Content-Length")
                row = {
                    "WARC-Record-ID": _record_id(headers.get("WARC-Record-ID")),
                    "WARC-Target-URI": headers.get("WARC-Target-URI"),
                    "WARC-Type": headers.get("WARC-Type"),
                    "WARC-Date": _date(headers.get("WARC-Date")),
                    "Content-Length": int(length) if length is not None else None,
                    "WARC-Identified-Payload-Type": headers.get(_PAYLOAD_TYPE),
                    "warc_content": record.raw_stream.read(),
                    "warc_headers": json.dumps(
                        {k: v for k, v in sorted(headers.items()) if k not in _COLUMNS and k != _PAYLOAD_TYPE},
                        separators=(",", ":"),
                    ),
                }
                if self.source.file_path_column is not None:
                    row[self.source.file_path_column] = self.url
                rows.append(row)
                if len(rows) == _ROWS_PER_BATCH:
                    yield self._table(rows, arrow_schema)
                    rows = []
        if rows:
            yield self._table(rows, arrow_schema)

    @staticmethod
    def _table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
        return pa.Table.from_pydict({f.name: [r[f.name] for r in rows] for f in schema}, schema=schema)


class _WarcSource(DataSource):
    def __init__(self, paths: list[str], io_config: Any, file_path_column: str | None) -> None:
        self.paths = paths
        self.io_config = io_config
        self.file_path_column = file_path_column
        self._schema = _schema(file_path_column)

    @property
    def name(self) -> str:
        return "WarcScan"

    @property
    def schema(self) -> Schema:
        return self._schema

    def get_tasks(self, pushdowns: Pushdowns) -> Iterator[DataSourceTask]:
        for url in self.paths:
            yield _WarcTask(url, self)


def read_warc(
    path: str | list[str],
    io_config: Any = None,
    file_path_column: str | None = None,
    _multithreaded_io: bool | None = None,
    checkpoint: Any = None,
) -> Any:
    """A DataFrame of the records of WARC files, gzipped or not (Daft's ``read_warc``).

    Args:
        path (str | list[str]): a file, a folder, a glob, or a list of them;
            local or on an object store (listed when ``read_warc`` is called).
        io_config (IOConfig | None): object-store settings.
        file_path_column (str | None): add each row's file URL as a String
            column of this name.
        _multithreaded_io (bool | None): Daft's I/O threading hint; reading
            is one stream per file in ketch, so it has no effect.
        checkpoint: Daft's ``CheckpointConfig``; ketch has no checkpoint
            store yet.

    Returns:
        DataFrame: lazy; one row per record: ``WARC-Record-ID`` (UUID),
        ``WARC-Target-URI``, ``WARC-Type`` (String), ``WARC-Date``
        (Timestamp[ns, Etc/UTC]), ``Content-Length`` (Int64),
        ``WARC-Identified-Payload-Type`` (String), ``warc_content`` (Binary:
        the record's block) and ``warc_headers`` (String: the other headers
        as a JSON object, keys sorted).

    Raises:
        ValueError: an empty list of paths.
        NotImplementedError: ``checkpoint``.
        FileNotFoundError: a path that matches nothing.
    """
    if checkpoint is not None:
        raise NotImplementedError("read_warc: checkpoint is not supported by ketch yet")
    paths = [path] if isinstance(path, str) else list(path)
    if not paths:
        raise ValueError("Cannot read DataFrame from empty list of Warc filepaths")
    # The files are listed now, as Daft's scans list them when they are made.
    config = io_config_json(io_config)
    urls = [url for p in paths for url, _size in _session().glob_files(str(p), io_config=config)]
    return _WarcSource(urls, io_config, file_path_column).read()
