"""``ketch.File``: a reference to a file by URL or path, as Daft 0.7.26's ``daft.File``.

A ``File[...]`` column holds these; :func:`ketch.functions.file` makes them
from strings. Local paths and ``file://`` URLs are read here; other URLs
(``s3://``, ``gs://``, ``az://``, ``http(s)://``) through the engine's object
stores with the file's ``io_config``.
"""

from __future__ import annotations

import io
import mimetypes
import os
from typing import Any


# How a remote file is read: ``(url, io_config, fn) -> value`` runs ``fn``
# (``download``, ``file_size``, ``file_exists``) in a query on the engine's
# object stores. Set by :mod:`ketch.io` (a higher module: it builds
# DataFrames) when it is imported.
def _read_remote(url: str, io_config: Any, fn: str) -> Any:
    raise RuntimeError("ketch.io sets this when it is imported (import ketch)")


def _local(url: str) -> str | None:
    if url.startswith("file://"):
        return url[len("file://") :]
    return None if "://" in url else url


class File:
    """A file named by ``url`` (a local path, ``file://`` or ``http(s)://`` URL);
    ``position``/``size`` select a byte range of it."""

    def __init__(
        self,
        url: str,
        io_config: Any = None,
        media_type: Any = None,
        position: int | None = None,
        size: int | None = None,
    ) -> None:
        if not isinstance(url, str):
            raise TypeError("Expected a string or bytes")
        self._url = url
        self._io_config = io_config
        self._media_type = media_type
        self._position = position
        self._size = size

    @property
    def path(self) -> str:
        return self._url

    @property
    def name(self) -> str:
        return os.path.basename(self._url.rstrip("/"))

    @property
    def position(self) -> int | None:
        return self._position

    def _read_all(self) -> bytes:
        local = _local(self._url)
        if local is not None:
            if not os.path.isfile(local):
                raise FileNotFoundError(f"File {self._url} does not exist")
            with open(local, "rb") as f:
                f.seek(self._position or 0)
                return f.read() if self._size is None else f.read(self._size)
        data = self._remote("download")
        start = self._position or 0
        return data[start:] if self._size is None else data[start : start + self._size]

    def _remote(self, fn: str) -> Any:
        """``fn`` (``download``, ``file_size``, ``file_exists``) of this
        remote file, run by the engine with the file's ``io_config``."""
        return _read_remote(self._url, self._io_config, fn)

    def size(self) -> int:
        """The size in bytes (of the selected range); ``FileNotFoundError`` when missing."""
        if self._size is not None:
            return self._size
        local = _local(self._url)
        if local is not None:
            if not os.path.isfile(local):
                raise FileNotFoundError(f"{self._url} not found")
            return os.path.getsize(local) - (self._position or 0)
        return self._remote("file_size") - (self._position or 0)

    def exists(self) -> bool:
        local = _local(self._url)
        if local is not None:
            return os.path.isfile(local)
        return bool(self._remote("file_exists"))

    def open(self) -> io.BytesIO:
        """The contents as a seekable binary file object (use it in a ``with`` block)."""
        return io.BytesIO(self._read_all())

    def read(self) -> bytes:
        return self._read_all()

    def mime_type(self) -> str | None:
        return mimetypes.guess_type(self._url)[0]

    def is_image(self) -> bool:
        return (self.mime_type() or "").startswith("image/")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, File) and (other._url, other._position, other._size) == (
            self._url,
            self._position,
            self._size,
        )

    def __hash__(self) -> int:
        return hash((self._url, self._position, self._size))

    def __repr__(self) -> str:
        return f"File({self._url!r})"


def open_file(
    url: str,
    mode: str = "r",
    buffering: int = -1,
    encoding: str | None = None,
    io_config: Any = None,
) -> io.IOBase:
    """Opens the file at ``url`` for reading (Daft's ``open_file``): a local
    path or ``file://`` URL is opened directly (streamed), another URL
    (``s3://``, ``gs://``, ``az://``, ``http(s)://``) is fetched through the
    engine's object stores with ``io_config``. For custom DataSources and
    DataSinks, not for expressions.

    Args:
        url (str): the file.
        mode (str): ``"r"``/``"rt"`` (text, the default) or ``"rb"`` (bytes).
        buffering (int): -1 the default buffer, 0 unbuffered (binary only),
            1 line buffering (text), > 1 a buffer of that many bytes.
        encoding (str | None): the text encoding (None: the locale's).
        io_config (IOConfig | None): object-store settings.

    Returns:
        A readable, seekable file object (use it in a ``with`` block).

    Raises:
        ValueError: another mode, or ``buffering=0`` in text mode.
        FileNotFoundError: no such file.

    >>> import os, tempfile
    >>> from ketch import open_file
    >>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> _ = open(path, "w").write("one\\ntwo\\n")
    >>> with open_file(path) as f:
    ...     f.readlines()
    ['one\\n', 'two\\n']
    """
    if mode not in ("r", "rt", "rb"):
        raise ValueError(f"Invalid file open mode `{mode}`. Only read modes `r`, `rt`, and `rb` are supported.")
    text = mode in ("r", "rt")
    if buffering == 0 and text:
        raise ValueError("Buffering must be enabled (not 0) when reading in text mode.")
    local = _local(url)
    handle: Any = open(local, "rb", buffering=0) if local is not None else File(url, io_config).open()  # noqa: SIM115
    if buffering != 0 or text:
        handle = io.BufferedReader(handle, buffering if buffering > 1 else io.DEFAULT_BUFFER_SIZE)
    if not text:
        return handle
    return io.TextIOWrapper(handle, encoding=encoding, line_buffering=buffering in (1, -1))
