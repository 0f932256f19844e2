"""TPC-H side by side: ketch (DataFrame API and SQL), daft 0.7.26, DuckDB,
Polars and the datafusion package on the same files, each engine in its own
process, one after another.

Usage: python benchmarks/tpch/run.py [--sf 1] [--queries 1,3] [--runs 3]
[--memory-limit 4GiB] (``make bench SF=1 QUERIES=1,3`` does this in the
benchmark venv; ``make bench-memory`` runs SF 10 under a 4 GiB limit).

``ketch-progress`` is ketch's DataFrame API with progress bars on (drawn to
/dev/null; a query's metrics are always collected), ``ketch-observed`` with
everything that watches a query on: progress bars, the dashboard's
subscriber and the event log; ``make bench-observe`` runs them beside
``ketch`` and prints the overheads (ketch-progress/ketch,
ketch-observed/ketch).

Per query: best of ``--runs`` wall times after one warm-up, the answer
checked against DuckDB's (row count and values, 1e-9 relative on floats, rows
compared as multisets), and the engine process's peak RSS during that query
(Linux's ``VmHWM``, reset before each query through ``/proc/self/clear_refs``).
Per engine: total, geometric mean and the highest peak RSS. With
``--memory-limit``, ketch runs under ``set_execution_config(memory_limit=...)``
and DuckDB under ``SET memory_limit``; engines without a limit (Daft, Polars,
datafusion) run as they are. Prints the tables and the ratios ketch/peer and
appends the run to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "examples"))

ENGINES = ["ketch", "ketch-sql", "daft", "duckdb", "polars", "datafusion"]
KETCH_ENGINES = ("ketch", "ketch-sql", "ketch-progress", "ketch-observed")
TABLES = ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"]


def sql_text(q: int) -> str:
    with open(os.path.join(HERE, "queries", f"q{q:02d}.sql")) as f:
        return f.read()


def table_glob(data: str, t: str) -> str:
    return os.path.join(data, t, "*.parquet")


# --- engines: each returns a function q -> list of row tuples ---------------


def engine_ketch(data: str, sql: bool, memory_limit: str | None):
    import ketch

    from dataframe_queries import QUERIES

    if memory_limit:
        ketch.set_execution_config(memory_limit=memory_limit)

    def get_df(t):
        return ketch.read_parquet(table_glob(data, t))

    if sql:

        def run(q):
            tables = {t: get_df(t) for t in TABLES}
            return ketch.sql(sql_text(q), register_globals=False, **tables).to_arrow()
    else:

        def run(q):
            return QUERIES[q](get_df, ketch).to_arrow()

    return run, ketch.__version__


def engine_ketch_observed(data: str, memory_limit: str | None, everything: bool):
    """ketch's DataFrame API with progress bars on and, with ``everything``,
    the dashboard's subscriber and the event log."""
    import tempfile

    import ketch

    run, version = engine_ketch(data, sql=False, memory_limit=memory_limit)
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (the bars are drawn, not shown)
    ketch.set_execution_config(progress_bar=True)
    if everything:
        ketch.subscribers.launch(port=0)
        ketch.set_event_log_config(enabled=True, path=tempfile.mkdtemp(prefix="ketch-events-"))
    return run, version


def engine_daft(data: str):
    import daft

    from dataframe_queries import QUERIES

    daft.set_runner_native()

    def run(q):
        return QUERIES[q](lambda t: daft.read_parquet(table_glob(data, t)), daft).to_arrow()

    return run, daft.__version__


def engine_duckdb(data: str, memory_limit: str | None):
    import duckdb

    con = duckdb.connect()
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    for t in TABLES:
        con.execute(f"create view {t} as select * from read_parquet('{table_glob(data, t)}')")

    def run(q):
        return con.sql(sql_text(q)).to_arrow_table()

    return run, duckdb.__version__


def engine_polars(data: str):
    import polars as pl

    ctx = pl.SQLContext({t: pl.scan_parquet(table_glob(data, t)) for t in TABLES})

    def run(q):
        return ctx.execute(sql_text(q)).collect().to_arrow()

    return run, pl.__version__


def engine_datafusion(data: str):
    import datafusion

    ctx = datafusion.SessionContext()
    for t in TABLES:
        ctx.register_parquet(t, os.path.join(data, t) + "/")

    def run(q):
        return ctx.sql(sql_text(q)).to_arrow_table()

    return run, datafusion.__version__


def make_engine(name: str, data: str, memory_limit: str | None):
    return {
        "ketch": lambda: engine_ketch(data, sql=False, memory_limit=memory_limit),
        "ketch-sql": lambda: engine_ketch(data, sql=True, memory_limit=memory_limit),
        "ketch-progress": lambda: engine_ketch_observed(data, memory_limit, everything=False),
        "ketch-observed": lambda: engine_ketch_observed(data, memory_limit, everything=True),
        "daft": lambda: engine_daft(data),
        "duckdb": lambda: engine_duckdb(data, memory_limit),
        "polars": lambda: engine_polars(data),
        "datafusion": lambda: engine_datafusion(data),
    }[name]()


def _rows(table) -> list[list]:
    cols = [c.to_pylist() for c in table.columns]
    return [list(r) for r in zip(*cols)]


def _reset_peak_rss() -> None:
    """Starts Linux's peak RSS (``VmHWM``) of this process afresh."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_rss_mb() -> float:
    """This process's peak RSS since the last reset, in MB: ``VmHWM``, which
    (unlike ``ru_maxrss``) does not carry over the parent's peak across exec."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(name: str, data: str, queries: list[int], runs: int, out: str, memory_limit: str | None = None) -> None:
    """Runs one engine in this process and writes its timings, answers and
    per-query peak RSS as JSON."""
    result = {"engine": name, "queries": {}}
    try:
        run, version = make_engine(name, data, memory_limit)
        result["version"] = version
    except Exception as e:  # the engine is missing or cannot start
        result["error"] = f"{type(e).__name__}: {e}"
        queries = []
    peak = _peak_rss_mb()
    for q in queries:
        _reset_peak_rss()
        try:
            table = run(q)  # warm-up, and the answer that is checked
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                run(q)
                times.append(time.perf_counter() - start)
            rows = _rows(table)
            del table
            result["queries"][q] = {"best": min(times), "rows": rows, "peak_rss_mb": _peak_rss_mb()}
        except Exception as e:
            result["queries"][q] = {
                "error": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}",
                "peak_rss_mb": _peak_rss_mb(),
            }
            traceback.print_exc()
        peak = max(peak, result["queries"][q]["peak_rss_mb"])
    result["peak_rss_mb"] = peak
    with open(out, "w") as f:
        json.dump(result, f, default=str)


# --- checking and reporting ---------------------------------------------------


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return str(a) == str(b)


def _key(row):
    return [
        (0, round(float(v), 6))
        if isinstance(v, (int, float)) and not isinstance(v, bool)
        else (1, "")
        if v is None
        else (2, str(v))
        for v in row
    ]


def matches(rows, reference) -> str | None:
    """None when equal (as multisets, with float tolerance), else what differs."""
    if len(rows) != len(reference):
        return f"{len(rows)} rows, expected {len(reference)}"
    for r, e in zip(sorted(rows, key=_key), sorted(reference, key=_key)):
        if len(r) != len(e) or not all(_close(x, y) for x, y in zip(r, e)):
            return f"row {r} != {e}"
    return None


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def report(results: dict[str, dict], queries: list[int], sf, runs: int) -> str:
    ref = results.get("duckdb", {}).get("queries", {})
    lines = []
    header = ["query"] + [e for e in results]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    failures = []
    for q in queries:
        cells = [f"Q{q}"]
        for e, res in results.items():
            r = res.get("queries", {}).get(str(q)) or res.get("queries", {}).get(q)
            if r is None or "error" in r:
                cells.append("error")
                failures.append(f"{e} Q{q}: {(r or {}).get('error', res.get('error', 'not run'))}")
                continue
            wrong = None
            ref_q = ref.get(str(q)) or ref.get(q)
            if e != "duckdb" and ref_q and "rows" in ref_q:
                wrong = matches(r["rows"], ref_q["rows"])
            if wrong:
                failures.append(f"{e} Q{q}: wrong answer: {wrong}")
                cells.append(f"{r['best']:.3f} (wrong)")
            else:
                cells.append(f"{r['best']:.3f}")
        lines.append("| " + " | ".join(cells) + " |")

    rss = ["", "Peak RSS per query (MB, the engine's process):", ""]
    rss.append("| query | " + " | ".join(results) + " |")
    rss.append("|" + "---|" * (len(results) + 1))
    for q in queries:
        cells = [f"Q{q}"]
        for res in results.values():
            r = res.get("queries", {}).get(str(q)) or res.get("queries", {}).get(q) or {}
            mb = r.get("peak_rss_mb")
            cells.append("-" if mb is None else f"{mb:.0f}" + (" (error)" if "error" in r else ""))
        rss.append("| " + " | ".join(cells) + " |")

    def ok_times(e):
        qs = results[e].get("queries", {})
        return {int(k): v["best"] for k, v in qs.items() if "best" in v}

    summary = ["", "| engine | version | total s | geomean s | peak RSS MB | queries ok |", "|---|---|---|---|---|---|"]
    for e, res in results.items():
        t = ok_times(e)
        summary.append(
            f"| {e} | {res.get('version', '-')} | {sum(t.values()):.3f} | {geomean(list(t.values())):.4f} | "
            f"{res.get('peak_rss_mb', float('nan')):.0f} | {len(t)}/{len(queries)} |"
        )
    ratios = ["", "Ratios ketch/peer (geometric mean over the queries both ran; < 1 means ketch is faster):", ""]
    for mine in KETCH_ENGINES:
        if mine not in results:
            continue
        a = ok_times(mine)
        for peer in results:
            if peer in KETCH_ENGINES and not (mine != "ketch" and peer == "ketch"):
                continue
            b = ok_times(peer)
            common = sorted(set(a) & set(b))
            if common:
                ratio = geomean([a[q] / b[q] for q in common])
                slower = [f"Q{q}" for q in common if a[q] > b[q]]
                ratios.append(
                    f"- {mine}/{peer}: {ratio:.3f} over {len(common)} queries; slower on: {', '.join(slower) or 'none'}"
                )
    text = "\n".join(lines + summary + ratios + rss)
    if failures:
        text += "\n\nFailures (listed, not hidden):\n" + "\n".join(f"- {f}" for f in failures)
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sf", type=float, default=1)
    ap.add_argument("--queries", default=",".join(str(i) for i in range(1, 23)))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--cache", default=os.path.join(ROOT, "data"))
    ap.add_argument("--memory-limit", default=None, help="e.g. 4GiB: ketch's and DuckDB's memory limit")
    ap.add_argument("--worker", nargs=5, metavar=("ENGINE", "DATA", "QUERIES", "RUNS", "OUT"))
    ap.add_argument("--no-record", action="store_true", help="do not append to benchmarks/RESULTS.md")
    args = ap.parse_args()
    if args.worker:
        name, data, qs, runs, out = args.worker
        worker(name, data, [int(q) for q in qs.split(",")], int(runs), out, args.memory_limit)
        return

    from prepare import prepare

    queries = [int(q) for q in args.queries.split(",")]
    engines = args.engines.split(",")
    if "duckdb" not in engines:
        engines.append("duckdb")  # the reference answers
    data = prepare(args.sf, args.cache)
    results = {}
    for e in engines:
        out = os.path.join(args.cache, f".bench-{e}.json")
        print(f"running {e} ...", flush=True)
        cmd = [sys.executable, __file__, "--worker", e, data, ",".join(map(str, queries)), str(args.runs), out]
        if args.memory_limit:
            cmd += ["--memory-limit", args.memory_limit]
        subprocess.run(cmd, check=False)
        with open(out) as f:
            results[e] = json.load(f)
    sf = int(args.sf) if float(args.sf).is_integer() else args.sf
    text = report(results, queries, sf, args.runs)
    print(text)
    if not args.no_record:
        stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        limit = f", memory limit {args.memory_limit} (ketch, duckdb)" if args.memory_limit else ""
        with open(os.path.join(ROOT, "benchmarks", "RESULTS.md"), "a") as f:
            f.write(
                f"\n## TPC-H SF{sf}, {stamp}{limit}\n\nMachine: {machine}. Best of {args.runs} after one "
                f"warm-up; seconds.\n\n{text}\n"
            )


if __name__ == "__main__":
    main()
