"""``read_huggingface`` against a Hub-like HTTP server on 127.0.0.1 (the
fixture) serving a local directory in the Hub's layout: the Parquet
conversion listing (``/api/datasets/<repo>/parquet``), the repository tree
(``/api/datasets/<repo>/tree/main``) and files (``/datasets/<repo>/resolve/<rev>/<path>``,
with Range requests), optionally behind a token. Values are checked against
pyarrow reading the same files."""

from __future__ import annotations

import functools
import http.server
import io
import json
import re
import tarfile
import threading
import urllib.parse
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ketch

REPO = "someone/tiny"
TOKEN = "hf_test_token"


class HubHandler(http.server.BaseHTTPRequestHandler):
    """The few Hub endpoints readers use, over ``root/<repo>/<revision>/<path>``;
    every request's method is recorded in ``methods`` (others, such as WebDAV's
    PROPFIND, are refused with 501 as http.server refuses them)."""

    methods: list[str] = []

    def __init__(self, *args, root: Path, token: str | None, **kwargs) -> None:
        self.root, self.token = root, token
        super().__init__(*args, **kwargs)

    def log_message(self, *args) -> None:
        pass

    def _authorized(self) -> bool:
        if self.token is None or self.headers.get("Authorization") == f"Bearer {self.token}":
            return True
        self.send_error(401)
        return False

    def _json(self, value, next_page: str | None = None) -> None:
        body = json.dumps(value).encode()
        self.send_response(200)
        if next_page is not None:
            self.send_header("Link", f'<{next_page}>; rel="next"')
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _file(self, path: Path, head: bool) -> None:
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start, end, status = 0, len(data), 200
        found = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        if found:
            a, b = found.groups()
            start, end = (
                (len(data) - int(b), len(data)) if a == "" else (int(a), min(int(b) + 1, len(data)) if b else len(data))
            )
            status = 206
        self.send_response(status)
        self.send_header("Content-Length", str(end - start))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.end_headers()
        if not head:
            self.wfile.write(data[start:end])

    def handle_one_request(self) -> None:
        super().handle_one_request()
        if getattr(self, "command", None):
            HubHandler.methods.append(self.command)

    def _route(self, head: bool) -> None:
        if not self._authorized():
            return
        url = urllib.parse.urlparse(self.path)
        path = urllib.parse.unquote(url.path)
        base = f"http://127.0.0.1:{self.server.server_port}"
        if m := re.fullmatch(r"/api/datasets/([^/]+/[^/]+)/parquet", path):
            branch = self.root / m.group(1) / "refs/convert/parquet"
            if not branch.is_dir():
                self.send_error(404)
                return
            listing = {}
            for config in sorted(p for p in branch.iterdir() if p.is_dir()):
                for split in sorted(p for p in config.iterdir() if p.is_dir()):
                    listing.setdefault(config.name, {})[split.name] = [
                        f"{base}/datasets/{m.group(1)}/resolve/refs%2Fconvert%2Fparquet/{config.name}/{split.name}/{f.name}"
                        for f in sorted(split.glob("*.parquet"))
                    ]
            self._json(listing)
        elif m := re.fullmatch(r"/api/datasets/([^/]+/[^/]+)/tree/main", path):
            main = self.root / m.group(1) / "main"
            if not main.is_dir():
                self.send_error(404)
                return
            items = [
                {
                    "type": "file" if p.is_file() else "directory",
                    "path": p.relative_to(main).as_posix(),
                    "size": p.stat().st_size if p.is_file() else 0,
                }
                for p in sorted(main.rglob("*"))
            ]
            # Pages of two entries, the next one named by a Link header (as the Hub pages its trees).
            cursor = int(urllib.parse.parse_qs(url.query).get("cursor", ["0"])[0])
            more = cursor + 2 < len(items)
            following = f"{base}{url.path}?recursive=true&cursor={cursor + 2}" if more else None
            self._json(items[cursor : cursor + 2], following)
        elif m := re.fullmatch(r"/datasets/([^/]+/[^/]+)/resolve/(refs/convert/parquet|main)/(.+)", path):
            self._file(self.root / m.group(1) / m.group(2) / m.group(3), head)
        else:
            self.send_error(404)

    def do_GET(self) -> None:
        self._route(head=False)

    def do_HEAD(self) -> None:
        self._route(head=True)


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """``(root, start)``: a directory in the Hub's layout, and a function that
    starts the Hub-like server over it (with or without a token) and points
    ``HF_ENDPOINT`` at it."""
    servers = []

    def start(token: str | None = None) -> str:
        handler = functools.partial(HubHandler, root=tmp_path, token=token)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        endpoint = f"http://127.0.0.1:{server.server_port}"
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
        return endpoint

    HubHandler.methods.clear()
    yield tmp_path, start
    for s in servers:
        s.shutdown()
        s.server_close()


def _parquet_conversion(root: Path) -> list[Path]:
    """Two configs, train/test splits, the train split in two files."""
    files = []
    for config, offset in (("default", 0), ("extra", 100)):
        for split, parts in (("train", 2), ("test", 1)):
            for n in range(parts):
                path = root / REPO / "refs/convert/parquet" / config / split / f"{n:04d}.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                start = offset + n * 10
                pq.write_table(
                    pa.table({"id": range(start, start + 3), "text": [f"{config}-{split}-{i}" for i in range(3)]}), path
                )
                files.append(path)
    return files


def test_read_huggingface_parquet_conversion(hub) -> None:
    root, start = hub
    files = _parquet_conversion(root)
    start()
    df = ketch.read_huggingface(REPO)
    expected = pa.concat_tables([pq.read_table(f) for f in sorted(files)])  # the listing's order
    assert df.to_arrow().to_pydict() == expected.to_pydict()
    assert df.where(ketch.col("id") >= 100).count_rows() == 9
    # Files are looked up with HEAD, never listed (PROPFIND, which a plain HTTP server refuses).
    assert "PROPFIND" not in HubHandler.methods and "HEAD" in HubHandler.methods
    assert ketch.read_huggingface(REPO, format="parquet").select("text").limit(2).to_pydict() == {
        "text": ["default-test-0", "default-test-1"]
    }


def test_read_huggingface_token(hub) -> None:
    root, start = hub
    _parquet_conversion(root)
    start(token=TOKEN)
    with pytest.raises(PermissionError, match="refused access"):
        ketch.read_huggingface(REPO)
    io_config = ketch.io.IOConfig(hf=ketch.io.HuggingFaceConfig(token=TOKEN))
    assert ketch.read_huggingface(REPO, io_config=io_config).count_rows() == 18
    # anonymous=True sends no token, even one given for HTTP.
    anonymous = ketch.io.IOConfig(
        hf=ketch.io.HuggingFaceConfig(anonymous=True), http=ketch.io.HTTPConfig(bearer_token=TOKEN)
    )
    with pytest.raises(PermissionError):
        ketch.read_huggingface(REPO, io_config=anonymous)


def test_read_huggingface_webdataset(hub) -> None:
    root, start = hub
    (root / REPO / "main" / "data").mkdir(parents=True)
    for shard, keys in (("shard-000.tar", range(3)), ("shard-001.tar", range(3, 5))):
        with tarfile.open(root / REPO / "main" / "data" / shard, "w") as tar:
            for i in keys:
                for ext, data in (("txt", f"caption {i}".encode()), ("png", bytes([i]) * 5)):
                    info = tarfile.TarInfo(f"{i:03d}.{ext}")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    (root / REPO / "main" / "README.md").write_text("not a shard")
    start()
    # The tree (README.md, data/, two shards) comes in two pages.
    df = ketch.read_huggingface(REPO, format="webdataset")
    out = df.select("__key__", "txt", ketch.col("png").download().alias("png")).to_pydict()
    assert out == {
        "__key__": ["000", "001", "002", "003", "004"],
        "txt": [f"caption {i}" for i in range(5)],
        "png": [bytes([i]) * 5 for i in range(5)],
    }


def test_read_huggingface_errors(hub, monkeypatch) -> None:
    root, start = hub
    start()
    with pytest.raises(ValueError, match="Unsupported Hugging Face dataset format"):
        ketch.read_huggingface(REPO, format="csv")
    with pytest.raises(ValueError, match="user/dataset_name"):
        ketch.read_huggingface("no-slash")
    # No Parquet conversion: Daft's fallback is the `datasets` library (not installed here).
    import sys

    monkeypatch.setitem(sys.modules, "datasets", None)
    with pytest.raises(ImportError, match="install the datasets library"):
        ketch.read_huggingface(REPO)
    with pytest.raises(FileNotFoundError, match="not found"):
        ketch.read_huggingface(REPO, format="webdataset")
