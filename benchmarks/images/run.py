"""Image pipeline throughput, ketch vs Daft 0.7.26, side by side on the same files.

Cases (issue 7): decode + resize(224, 224) of the real scikit-image images
replicated to ``--files`` files, and ``download`` of the same files through
``file://`` URLs and through HTTP servers on 127.0.0.1: Python's
``ThreadingHTTPServer`` (in this process) and, when installed, nginx (one
worker, ``sendfile``; ``make bench-images`` installs it), which costs little
CPU, so the engines' clients are what is measured. Each engine runs
each case in its own process (best of ``--runs`` after one warm-up); the
script prints images per second, the worker's peak RSS, and the ketch/Daft
ratio of times (below 1: ketch is faster). Read ratios within one run.

    python benchmarks/images/run.py [--files 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

WORKER = textwrap.dedent(
    """
    import json, resource, sys, time
    engine, case, root, base, runs = sys.argv[1:6]
    daft = __import__(engine)
    col = daft.col
    names = sorted(n for n in __import__("os").listdir(root))
    if case == "decode+resize":
        urls = [f"{root}/{n}" for n in names]
    elif case == "download file://":
        urls = [f"file://{root}/{n}" for n in names]
    else:
        urls = [f"{base}/{n}" for n in names]

    def run():
        df = daft.from_pydict({"u": urls})
        if case == "decode+resize":
            df = df.select(col("u").download().decode_image().resize(224, 224).alias("x"))
            df = df.select(col("x").image_width().alias("w"))
            return len(df.to_pydict()["w"])
        df = df.select(col("u").download(max_connections=32).alias("b"))
        return len(df.to_arrow())

    run()  # warm-up
    best = float("inf")
    for _ in range(int(runs)):
        t = time.perf_counter()
        n = run()
        best = min(best, time.perf_counter() - t)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": best, "rows": n, "rss_mb": rss}))
    """
)


def replicate(dest: str, count: int) -> None:
    src = os.path.join(importlib.util.find_spec("skimage").submodule_search_locations[0], "data")
    pool = [n for n in sorted(os.listdir(src)) if n.endswith((".png", ".jpg"))]
    if os.path.isdir(dest) and len(os.listdir(dest)) == count:
        return
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    for i in range(count):
        n = pool[i % len(pool)]
        shutil.copyfile(os.path.join(src, n), os.path.join(dest, f"{i:05d}_{n}"))


NGINX_CONF = """
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=1024;
        root {root};
    }}
}}
"""


def start_nginx(root: str) -> tuple[subprocess.Popen, str] | None:
    """nginx serving ``root`` on a free port, or None when nginx is not installed."""
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if binary is None:
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tempfile.mkdtemp(prefix="ketch-nginx-")
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(tmp=tmp, port=port, root=root))
    proc = subprocess.Popen([binary, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.terminate()
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", default="data/bench-images")
    parser.add_argument("--timeout", type=int, default=300, help="seconds one engine may take for one case")
    args = parser.parse_args()
    root = os.path.abspath(args.dir)
    replicate(root, args.files)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        request_queue_size = 256  # the default listen backlog (5) drops connections under 32 clients

    handler = functools.partial(Quiet, directory=root)
    server = Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    bases = {"download http": f"http://127.0.0.1:{server.server_address[1]}"}
    nginx = start_nginx(root)
    if nginx is not None:
        bases["download nginx"] = nginx[1]
    else:
        print("(nginx not installed: the nginx case is skipped)")
    print(f"{args.files} files ({sum(os.path.getsize(os.path.join(root, n)) for n in os.listdir(root)) >> 20} MiB)")
    print(f"{'case':<20} {'engine':<7} {'seconds':>8} {'images/s':>9} {'peak RSS MB':>12}", flush=True)
    for case in ["decode+resize", "download file://", *bases]:
        times = {}
        base = bases.get(case, "")
        for engine in ["ketch", "daft"]:
            try:
                out = subprocess.run(
                    [sys.executable, "-c", WORKER, engine, case, root, base, str(args.runs)],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=args.timeout,
                )
            except subprocess.TimeoutExpired:
                print(f"{case:<20} {engine:<7} did not finish in {args.timeout} s", flush=True)
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            times[engine] = r["seconds"]
            ips = r["rows"] / r["seconds"]
            print(f"{case:<20} {engine:<7} {r['seconds']:8.2f} {ips:9.0f} {r['rss_mb']:12.0f}", flush=True)
        if len(times) == 2:
            print(f"{case:<20} ketch/daft time ratio: {times['ketch'] / times['daft']:.2f}", flush=True)
    server.shutdown()
    if nginx is not None:
        nginx[0].terminate()


if __name__ == "__main__":
    main()
