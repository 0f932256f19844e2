from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def tpch_dir() -> str:
    """TPC-H at scale factor 0.01, each table split into 3 files (multi-partition scans)."""
    from gen_tpch import generate

    return generate(0.01, os.path.join(ROOT, "data", "tpch-sf0.01-parts3"), parts=3)


@pytest.fixture(scope="session")
def duck_tpch(tpch_dir):
    """A DuckDB connection with a view per TPC-H table over the same files."""
    import duckdb

    from gen_tpch import TABLES, table_path

    con = duckdb.connect()
    for t in TABLES:
        path = table_path(tpch_dir, t)
        glob = path if path.endswith(".parquet") else path + "/*.parquet"
        con.execute(f"create view {t} as select * from read_parquet('{glob}')")
    return con


@pytest.fixture(scope="session")
def http_server():
    """An HTTP server on 127.0.0.1 serving scikit-image's real images: ``(base URL, folder)``."""
    import functools
    import http.server
    import importlib.util
    import threading

    root = os.path.join(importlib.util.find_spec("skimage").submodule_search_locations[0], "data")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        request_queue_size = 256  # the default listen backlog (5) drops connections under many clients

    server = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=root))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()


@pytest.fixture(scope="session")
def moto_endpoint():
    """A real S3 endpoint: the moto server on 127.0.0.1 (``http://host:port``)."""
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(endpoint):
    """A boto3 S3 client for the moto endpoint (the independent reference)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 30) -> None:
    import socket
    import time

    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    """A real Azure Blob endpoint: Azurite (installed by `make azurite`) on
    127.0.0.1 with its well-known development account. Yields
    ``(endpoint URL of the account, azure-storage-blob connection string)``."""
    import subprocess

    binary = os.environ.get(
        "KETCH_AZURITE", os.path.expanduser("~/.cache/ketch/azurite/node_modules/.bin/azurite-blob")
    )
    if not os.path.exists(binary):
        raise RuntimeError(f"Azurite is not installed at {binary}: run `make azurite`")
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(tmp_path_factory.mktemp("azurite")),
            "--skipApiVersionCheck",
            "--loose",
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        endpoint = f"http://127.0.0.1:{port}/devstoreaccount1"
        conn = (
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={endpoint};"
        )
        yield endpoint, conn
    finally:
        # Azurite's graceful shutdown waits for every open connection, and
        # this process's object-store clients keep theirs alive: give it a
        # moment, then stop it.
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def chromium(tmp_path):
    """``chromium(url, *args)`` runs headless Chromium (Debian's, installed by
    ``make chromium``) on ``url`` with a fresh profile and returns its stdout
    (e.g. the DOM with ``--dump-dom``); extra ``args`` such as
    ``--window-size=1280,720``, ``--screenshot=<file>`` or
    ``--virtual-time-budget=<ms>``."""
    import shutil
    import subprocess

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "make test installs Debian's chromium; run `make chromium`"

    def run(url: str, *args: str) -> str:
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
        ]
        done = subprocess.run([binary, *flags, *args, url], check=True, capture_output=True, text=True, timeout=120)
        return done.stdout

    return run


@pytest.fixture
def ctrl_c():
    """``ctrl_c(seconds)`` sends SIGINT to the main thread after ``seconds``,
    as a user's Ctrl-C. Python's own handler is installed for the test: a
    process started with SIGINT ignored (a background job of a
    non-interactive shell) would otherwise never see KeyboardInterrupt."""
    import signal
    import threading

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    main = threading.main_thread().ident
    timers = []

    def schedule(seconds: float) -> None:
        timer = threading.Timer(seconds, lambda: signal.pthread_kill(main, signal.SIGINT))
        timers.append(timer)
        timer.start()

    yield schedule
    for timer in timers:
        timer.cancel()
    signal.signal(signal.SIGINT, previous)


def pytest_collection_modifyitems(config, items):
    """With ``KETCH_SERIALIZE_PLANS`` set every plan runs after a round trip
    through bytes, as on a cluster: its UDFs are copies, whose side effects
    the test process cannot see. Tests marked ``udf_side_effects`` observe
    exactly those, so they are skipped then (their answers are checked by
    the normal run)."""
    if not os.environ.get("KETCH_SERIALIZE_PLANS"):
        return
    reason = "observes UDF side effects in this process; plans run copies of UDFs when serialized"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if item.get_closest_marker("udf_side_effects"):
            item.add_marker(skip)
