"""UDF throughput, ketch vs Daft 0.7.26, side by side on the same data.

Four cases from issue 6: a trivial row-wise UDF over 1M rows, a numpy batch
UDF over 10M rows, an async UDF sleeping 10 ms per row over 2,000 rows, and a
class UDF with ``max_concurrency=2`` doing CPU work. Each engine runs each
case in its own process (best of ``--runs`` after one warm-up); the script
prints rows per second and the ketch/Daft ratio of times (below 1: ketch is
faster). The machine is noisy: read ratios within one run.

    python benchmarks/udf/run.py [--runs 3] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap

CASES = {
    "row-wise add-one": 1_000_000,
    "numpy batch": 10_000_000,
    "async 10ms sleep": 2_000,
    "class max_concurrency=2": 200_000,
}

WORKER = textwrap.dedent(
    """
    import asyncio, json, sys, time
    import numpy as np
    engine, case, rows, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    daft = __import__(engine)
    col = daft.col

    @daft.func
    def add_one(x: int) -> int:
        return x + 1

    @daft.func.batch(return_dtype=daft.DataType.float64())
    def np_scale(x):
        return np.sqrt(x.to_arrow().to_numpy(zero_copy_only=False) * 2.0)

    @daft.func
    async def sleepy(x: int) -> int:
        await asyncio.sleep(0.01)
        return x

    @daft.cls(max_concurrency=2)
    class Work:
        def __init__(self):
            self.k = 3

        @daft.method.batch(return_dtype=daft.DataType.int64())
        def churn(self, x):
            v = x.to_arrow().to_numpy(zero_copy_only=False)
            for _ in range(20):
                v = (v * self.k + 7) % 1_000_003
            return v

    build = {
        "row-wise add-one": lambda df: df.select(add_one(col("x"))),
        "numpy batch": lambda df: df.select(np_scale(col("x"))),
        "async 10ms sleep": lambda df: df.select(sleepy(col("x"))),
        "class max_concurrency=2": lambda df: df.select(Work().churn(col("x"))),
    }[case]
    import pyarrow as pa
    table = pa.table({"x": pa.array(np.arange(rows, dtype=np.int64))})
    best = float("inf")
    for i in range(runs + 1):
        df = daft.from_arrow(table)
        start = time.perf_counter()
        out = build(df).to_arrow()
        elapsed = time.perf_counter() - start
        assert out.num_rows == rows, (out.num_rows, rows)
        if i:
            best = min(best, elapsed)
    print(json.dumps({"seconds": best}))
    """
)


def run(engine: str, case: str, rows: int, runs: int) -> float:
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, engine, case, str(rows), str(runs)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"{engine} / {case} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every row count")
    args = parser.parse_args()
    print(f"{'case':<26}{'rows':>11}{'ketch rows/s':>15}{'daft rows/s':>15}{'ketch/daft time':>17}")
    for case, rows in CASES.items():
        rows = max(int(rows * args.scale), 1)
        k, d = run("ketch", case, rows, args.runs), run("daft", case, rows, args.runs)
        print(f"{case:<26}{rows:>11,}{rows / k:>15,.0f}{rows / d:>15,.0f}{k / d:>17.2f}")


if __name__ == "__main__":
    main()
