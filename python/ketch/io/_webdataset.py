"""``read_webdataset``: WebDataset TAR shards (Daft's ``daft.io.webdataset``).

Consecutive members with the same key (the name up to the first dot of its
last path part) make one row; the rest of the name, lower-cased, names the
column. JSON, text and class/index members are decoded; every other member
is a lazy :class:`ketch.File` holding the archive's URL and the member's byte
range (``position``, ``size``), so its bytes are read only when used
(``download``, ``File.read``).

>>> import io, os, tarfile, tempfile, ketch
>>> path = os.path.join(tempfile.mkdtemp(), "shard.tar")
>>> with tarfile.open(path, "w") as tar:
...     for name, data in [("a.txt", b"hi"), ("a.bin", b"\\x00\\x01"), ("b.txt", b"yo"), ("b.bin", b"\\x02")]:
...         info = tarfile.TarInfo(name)
...         info.size = len(data)
...         tar.addfile(info, io.BytesIO(data))
>>> df = ketch.read_webdataset(path)
>>> df.select("__key__", "txt", ketch.col("bin").download().alias("bytes")).to_pydict()
{'__key__': ['a', 'b'], 'txt': ['hi', 'yo'], 'bytes': [b'\\x00\\x01', b'\\x02']}
"""

from __future__ import annotations

import json
import re
import tarfile
from collections.abc import Iterator
from itertools import islice
from typing import Any

import pyarrow as pa

from ketch.context import _session, get_context
from ketch.datatype import DataType, MediaType
from ketch.file import File, open_file
from ketch.io.pushdowns import Pushdowns
from ketch.io.source import DataSource, DataSourceTask
from ketch.io_config import io_config_json
from ketch.schema import Schema
from ketch.series import Series

# Daft's rules (daft/io/webdataset/_webdataset.py in daft 0.7.26).
_SAMPLES_FOR_SCHEMA_INFERENCE = 5
_BASE_PLUS_EXTENSION = re.compile(r"^((?:.*/|)[^.]+)[.]([^/]*)$")
_ARCHIVE_METADATA = re.compile(r"__[^/]*__($|/)")
_IMAGE = frozenset("apng avif bmp gif heic heif jfif jp2 jpeg jpg jxl png tif tiff webp".split())
_AUDIO = frozenset("aac aiff au caf flac m4a mp3 ogg opus wav wma".split())
_VIDEO = frozenset("avi m4v mkv mov mp4 mpeg mpg ogv webm wmv".split())
_JSON = frozenset({"json", "jsn"})
_TEXT = frozenset({"text", "transcript", "txt"})
_INTEGER = frozenset({"cls", "cls2", "id", "index", "inx"})
_COMPRESSED = (".tar.bz2", ".tar.gz", ".tar.xz", ".tbz2", ".tgz", ".txz")


def _extension(field: str) -> str:
    return field.rsplit(".", 1)[-1].lower()


def _media_type(field: str) -> MediaType:
    ext = _extension(field)
    if ext in _IMAGE:
        return MediaType.image()
    if ext in _AUDIO:
        return MediaType.audio()
    if ext in _VIDEO:
        return MediaType.video()
    return MediaType.unknown()


def _decode(archive: tarfile.TarFile, member: tarfile.TarInfo, field: str) -> Any:
    data = archive.extractfile(member).read()
    ext = _extension(field)
    try:
        if ext in _JSON:
            return json.loads(data)
        if ext in _TEXT:
            return data.decode("utf-8")
        return int(data)
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"Unable to decode WebDataset member {member.name!r}") from e


def _samples(
    url: str, io_config: Any, columns: set[str] | None = None, known: frozenset[str] | None = None
) -> Iterator[dict[str, Any]]:
    """The samples of one shard in archive order: ``{"__key__", "__url__", field: value}``."""
    key: str | None = None
    sample: dict[str, Any] | None = None
    seen: set[str] = set()
    with open_file(url, "rb", io_config=io_config) as f:
        try:
            with tarfile.open(fileobj=f, mode="r:") as archive:
                for member in archive:
                    if not member.isreg() or _ARCHIVE_METADATA.match(member.name):
                        continue
                    if member.issparse():
                        raise ValueError(
                            f"Sparse TAR member {member.name!r} in WebDataset archive {url!r} is not supported "
                            "because its contents are not stored as a contiguous byte range"
                        )
                    match = _BASE_PLUS_EXTENSION.match(member.name)
                    if match is None:
                        continue
                    sample_key, field = match.group(1), match.group(2).lower()
                    if known is not None and field not in known:
                        raise ValueError(
                            f"WebDataset field {field!r} in archive {url!r} was not present during schema "
                            "inference. WebDataset shards must use a consistent set of member suffixes."
                        )
                    if sample_key != key:
                        if sample is not None:
                            yield sample
                        key, sample, seen = sample_key, {"__key__": sample_key, "__url__": url}, set()
                    if field in seen:
                        raise ValueError(
                            f"Duplicate WebDataset field {field!r} for sample {sample_key!r} in archive {url!r}"
                        )
                    seen.add(field)
                    if columns is None or field in columns:
                        ext = _extension(field)
                        sample[field] = (
                            _decode(archive, member, field)
                            if ext in _JSON | _TEXT | _INTEGER
                            else File(
                                url,
                                io_config=io_config,
                                media_type=_media_type(field),
                                position=member.offset_data,
                                size=member.size,
                            )
                        )
        except tarfile.ReadError as e:
            raise ValueError(
                f"Unable to read {url!r} as an uncompressed TAR archive. "
                "Compressed WebDataset shards are not supported."
            ) from e
    if sample is not None:
        yield sample


def _field_dtype(field: str, samples: list[dict[str, Any]]) -> DataType:
    if field in ("__key__", "__url__"):
        return DataType.string()
    ext = _extension(field)
    if ext in _IMAGE | _AUDIO | _VIDEO:
        return DataType.file(_media_type(field))
    if ext in _TEXT:
        return DataType.string()
    if ext in _INTEGER:
        return DataType.int64()
    if ext in _JSON:
        return Series.from_pylist([s.get(field) for s in samples], name=field).datatype()
    return DataType.file()


def _infer_schema(url: str, io_config: Any) -> Schema:
    samples = list(islice(_samples(url, io_config), _SAMPLES_FOR_SCHEMA_INFERENCE))
    if not samples:
        raise ValueError(f"WebDataset archive {url!r} does not contain any valid samples")
    names = ["__key__", "__url__"]
    for s in samples:
        names.extend(n for n in s if n not in names)
    return Schema.from_pydict({n: _field_dtype(n, samples) for n in names})


def _table(samples: list[dict[str, Any]], schema: Schema) -> pa.Table:
    columns = []
    for field in schema:
        values = [s.get(field.name) for s in samples]
        if _extension(field.name) in _JSON and any(v is not None for v in values):
            inferred = Series.from_pylist(values, name=field.name).datatype()
            if inferred != field.dtype:
                raise ValueError(
                    f"WebDataset JSON field {field.name!r} does not match its inferred schema: "
                    f"expected {field.dtype}, received {inferred}"
                )
        columns.append(Series.from_pylist(values, name=field.name, dtype=field.dtype).to_arrow())
    arrays = [c.storage if isinstance(c, pa.ExtensionArray) else c for c in columns]
    if not arrays:  # no column asked for (a count): the rows still count
        return pa.table({"_": pa.nulls(len(samples))}).drop_columns(["_"])
    return pa.Table.from_arrays(arrays, schema=schema.to_pyarrow_schema())


class _WebDatasetTask(DataSourceTask):
    def __init__(self, url: str, schema: Schema, known: frozenset[str], io_config: Any, batch_size: int) -> None:
        self.url, self._schema, self.known, self.io_config, self.batch_size = url, schema, known, io_config, batch_size

    @property
    def schema(self) -> Schema:
        return self._schema

    def read(self) -> Iterator[pa.Table]:
        samples: list[dict[str, Any]] = []
        for s in _samples(self.url, self.io_config, set(self._schema.column_names()), self.known):
            samples.append(s)
            if len(samples) >= self.batch_size:
                yield _table(samples, self._schema)
                samples = []
        if samples:
            yield _table(samples, self._schema)


class _WebDatasetSource(DataSource):
    def __init__(self, urls: list[str], io_config: Any, batch_size: int) -> None:
        self.urls, self.io_config, self.batch_size = urls, io_config, batch_size
        self._schema = _infer_schema(urls[0], io_config)

    @property
    def name(self) -> str:
        return "WebDatasetSource"

    @property
    def schema(self) -> Schema:
        return self._schema

    def get_tasks(self, pushdowns: Pushdowns) -> Iterator[DataSourceTask]:
        names = self._schema.column_names()
        wanted = names if pushdowns.columns is None else [n for n in names if n in set(pushdowns.columns)]
        schema = Schema.from_pydict({n: self._schema[n].dtype for n in wanted})
        batch = min(self.batch_size, pushdowns.limit) if pushdowns.limit else self.batch_size
        known = frozenset(names) - {"__key__", "__url__"}
        for url in self.urls:
            yield _WebDatasetTask(url, schema, known, self.io_config, batch)


def _pattern(path: str) -> str:
    if path.lower().endswith(_COMPRESSED):
        raise ValueError("Compressed WebDataset shards are not supported; expected an uncompressed .tar file")
    if any(c in path for c in "*?[") or path.lower().endswith(".tar"):
        return path
    return f"{path.rstrip('/')}/**/*.tar"


def read_webdataset(path: str | list[str], io_config: Any = None, batch_size: int = 1000) -> Any:
    """A DataFrame of the samples of WebDataset TAR shards (Daft's ``read_webdataset``).

    Args:
        path (str | list[str]): an uncompressed ``.tar`` file, a folder
            (searched recursively for ``*.tar``), a glob, or a list of them;
            local or on an object store.
        io_config (IOConfig | None): object-store settings (default: the
            planning config's ``default_io_config``).
        batch_size (int): samples per batch.

    Returns:
        DataFrame: lazy; ``__key__`` and ``__url__`` (String) and one column per
        member suffix, found in the first five samples of the first shard:
        ``json``/``jsn`` decoded (type inferred), ``txt``/``text``/``transcript``
        String, ``cls``/``cls2``/``id``/``index``/``inx`` Int64, images, audio
        and video ``File[Image]``/``File[Audio]``/``File[Video]`` and anything
        else ``File[Unknown]``: files are byte ranges of the archive, read only
        when used. Rows in archive order, shards in listing order.

    Raises:
        ValueError: ``batch_size`` not positive, a compressed shard, a shard
            that is not a TAR archive, a member suffix or JSON shape that
            differs from the schema, a duplicate member, a sparse member.
        FileNotFoundError: no ``.tar`` shard matches ``path``.
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
        raise ValueError(f"batch_size must be greater than zero, received {batch_size}")
    if io_config is None:
        io_config = get_context().daft_planning_config.default_io_config
    paths = [path] if isinstance(path, str) else list(path)
    if not paths:
        raise ValueError("Must specify at least one WebDataset path")
    config = io_config_json(io_config)
    urls: list[str] = []
    for p in paths:
        try:
            found = _session().glob_files(_pattern(str(p)), io_config=config)
        except FileNotFoundError:
            found = []
        urls.extend(u for u, _size in found if u.lower().endswith(".tar") and u not in urls)
    if not urls:
        raise FileNotFoundError(f"No uncompressed WebDataset TAR shards found for: {paths}")
    return _WebDatasetSource(urls, io_config, batch_size).read()
