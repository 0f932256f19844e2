"""``read_mcap``: MCAP robotics logs (Daft's ``daft.io.mcap``), read with the
``mcap`` package; one row per message, in log-time order within each file.

>>> import os, tempfile, ketch
>>> from mcap.writer import Writer
>>> path = os.path.join(tempfile.mkdtemp(), "a.mcap")
>>> with open(path, "wb") as f:
...     w = Writer(f)
...     w.start()
...     channel = w.register_channel(topic="/t", message_encoding="", schema_id=0)
...     for i in range(3):
...         w.add_message(channel_id=channel, log_time=i, publish_time=i, sequence=i, data=b"x")
...     w.finish()
>>> ketch.read_mcap(path, start_time=1).select("topic", "log_time", "data").to_pydict()
{'topic': ['/t', '/t'], 'log_time': [1, 2], 'data': ["b'x'", "b'x'"]}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa

from ketch.context import _session
from ketch.datatype import DataType
from ketch.file import open_file
from ketch.io.pushdowns import Pushdowns
from ketch.io.source import DataSource, DataSourceTask
from ketch.io_config import io_config_json
from ketch.schema import Schema

_SCHEMA = Schema.from_pydict(
    {
        "topic": DataType.string(),
        "log_time": DataType.int64(),
        "publish_time": DataType.int64(),
        "sequence": DataType.int32(),
        "data": DataType.string(),
    }
)


class _McapTask(DataSourceTask):
    """The messages of one file (and topic list) in ``[start_time, end_time)``."""

    def __init__(self, source: _McapSource, url: str, start_time: int | None, topics: list[str] | None) -> None:
        self.source, self.url, self.start_time, self.topics = source, url, start_time, topics

    @property
    def schema(self) -> Schema:
        return _SCHEMA

    def read(self) -> Iterator[pa.Table]:
        from mcap.reader import make_reader

        arrow_schema = _SCHEMA.to_pyarrow_schema()
        rows: list[tuple] = []
        with open_file(self.url, "rb", io_config=self.source.io_config) as f:
            messages = make_reader(f, decoder_factories=[]).iter_messages(
                topics=self.topics,
                start_time=self.start_time,
                end_time=self.source.end_time,
                log_time_order=True,
            )
            for _schema, channel, message in messages:
                # `data` is the payload's Python repr (``"b'...'"``), exactly as Daft 0.7.26 gives it.
                rows.append(
                    (channel.topic, message.log_time, message.publish_time, message.sequence, str(message.data))
                )
                if len(rows) >= self.source.batch_size:
                    yield _table(rows, arrow_schema)
                    rows = []
        if rows:
            yield _table(rows, arrow_schema)


def _table(rows: list[tuple], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows))
    return pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(columns, schema)], schema=schema)


class _McapSource(DataSource):
    def __init__(
        self,
        urls: list[str],
        io_config: Any,
        start_time: int | None,
        end_time: int | None,
        topics: list[str] | None,
        batch_size: int,
        topic_start_time_resolver: Callable[[str], dict[str, int]] | None,
    ) -> None:
        self.urls, self.io_config = urls, io_config
        self.start_time, self.end_time, self.topics = start_time, end_time, topics
        self.batch_size, self.resolver = batch_size, topic_start_time_resolver

    @property
    def name(self) -> str:
        return "MCAPSource"

    @property
    def schema(self) -> Schema:
        return _SCHEMA

    def get_tasks(self, pushdowns: Pushdowns) -> Iterator[DataSourceTask]:
        for url in self.urls:
            starts = None
            if self.resolver is not None:
                try:
                    starts = self.resolver(url)
                except Exception:
                    starts = None  # as Daft: a failing resolver reads the whole file
            if not starts:
                yield _McapTask(self, url, self.start_time, self.topics)
                continue
            # One task per topic, each starting at its own start time.
            for topic in self.topics if self.topics is not None else list(starts):
                start = self.start_time
                if starts.get(topic) is not None:
                    start = starts[topic] if start is None else max(start, starts[topic])
                if self.end_time is not None and start is not None and start >= self.end_time:
                    continue
                yield _McapTask(self, url, start, [topic])


def read_mcap(
    path: str,
    io_config: Any = None,
    start_time: int | None = None,
    end_time: int | None = None,
    topics: list[str] | None = None,
    batch_size: int = 1000,
    topic_start_time_resolver: Callable[[str], dict[str, int]] | None = None,
) -> Any:
    """A DataFrame of the messages of MCAP files (Daft's ``read_mcap``).

    Args:
        path (str): a file, or a folder read with every file under it; local or
            on an object store (listed when ``read_mcap`` is called).
        io_config (IOConfig | None): object-store settings.
        start_time (int | None): the earliest ``log_time`` read (inclusive), in
            the file's unit (usually nanoseconds).
        end_time (int | None): the ``log_time`` reading stops before (exclusive).
        topics (list[str] | None): read only these topics.
        batch_size (int): messages per batch.
        topic_start_time_resolver (Callable[[str], dict[str, int]] | None):
            called once per file with its URL; returns a start time per topic,
            and the file is read as one task per topic, each from
            ``max(start_time, that topic's start)`` (a resolver that raises or
            returns nothing reads the file whole, as in Daft).

    Returns:
        DataFrame: lazy; one row per message: ``topic`` (String), ``log_time``
        and ``publish_time`` (Int64), ``sequence`` (Int32) and ``data``
        (String: the payload bytes' Python repr, as Daft 0.7.26 gives it);
        files in listing order, messages in log-time order.

    Raises:
        ImportError: the ``mcap`` package is not installed (``pip install 'ketch[mcap]'``).
        ValueError: ``batch_size`` is not a positive integer.
        FileNotFoundError: ``path`` matches nothing.
    """
    try:
        import mcap.reader  # noqa: F401
    except ImportError as e:
        raise ImportError(
            "The 'mcap' package is required to read MCAP files. Please install it with: pip install 'ketch[mcap]'"
        ) from e
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
        raise ValueError(f"read_mcap: batch_size must be a positive integer, got {batch_size!r}")
    urls = [url for url, _size in _session().glob_files(str(path), io_config=io_config_json(io_config))]
    source = _McapSource(
        urls,
        io_config,
        start_time,
        end_time,
        list(topics) if topics is not None else None,
        batch_size,
        topic_start_time_resolver,
    )
    return source.read()
