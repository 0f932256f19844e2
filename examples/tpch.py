"""The main job: TPC-H queries 1, 3, 5, 6 and 10 on real generated data with
ketch's DataFrame API, printing each result table and its wall time.

Usage: python examples/tpch.py --data data/tpch-sf0.1   (make demo does this)
"""

from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "benchmarks", "tpch"))

import ketch as daft  # noqa: E402  - the same script runs with `import daft`

from dataframe_queries import QUERIES  # noqa: E402  - the benchmark's queries, shared
from gen_tpch import table_path  # noqa: E402

DEMO_QUERIES = "1,3,5,6,10"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="folder written by examples/gen_tpch.py")
    ap.add_argument("--queries", default=DEMO_QUERIES)
    args = ap.parse_args()

    def get_df(table: str) -> daft.DataFrame:
        return daft.read_parquet(table_path(args.data, table))

    total = 0.0
    for q in (int(x) for x in args.queries.split(",")):
        start = time.perf_counter()
        result = QUERIES[q](get_df, daft).collect()
        elapsed = time.perf_counter() - start
        total += elapsed
        print(f"\nTPC-H Q{q}: {len(result)} rows in {elapsed:.3f} s")
        result.show(10)
    print(f"\nTotal: {total:.3f} s")


if __name__ == "__main__":
    main()
