"""Generates TPC-H tables as Parquet with tpchgen-cli (pinned in pyproject.toml).

Usage: python examples/gen_tpch.py --scale-factor 0.1 --output data/tpch-sf0.1 [--parts N]

Writes one ``<table>.parquet`` per table (or, with ``--parts``, a folder of N
files per table) into a temporary folder and renames it into place when
complete, so an interrupted run never leaves a partial data set behind.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

TABLES = ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"]


def generate(scale_factor: float, output: str, parts: int = 1) -> str:
    """Generates the data set into ``output`` unless it is already there; returns ``output``."""
    if os.path.isdir(output) and all(
        os.path.exists(os.path.join(output, t + ".parquet")) or os.path.isdir(os.path.join(output, t)) for t in TABLES
    ):
        return output
    exe = shutil.which("tpchgen-cli") or os.path.join(os.path.dirname(sys.executable), "tpchgen-cli")
    parent = os.path.dirname(os.path.abspath(output))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tpchgen-", dir=parent)
    try:
        cmd = [exe, "parquet", "-s", str(scale_factor), "-o", tmp]
        if parts > 1:
            cmd += ["--parts", str(parts)]
        subprocess.run(cmd, check=True)
        if os.path.exists(output):
            shutil.rmtree(output)
        os.rename(tmp, output)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
    return output


def table_path(data_dir: str, table: str) -> str:
    """The path to read one table from (a file, or a folder of parts)."""
    folder = os.path.join(data_dir, table)
    return folder if os.path.isdir(folder) else folder + ".parquet"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale-factor", type=float, default=0.1)
    ap.add_argument("--output", required=True)
    ap.add_argument("--parts", type=int, default=1)
    args = ap.parse_args()
    sf = int(args.scale_factor) if float(args.scale_factor).is_integer() else args.scale_factor
    print(f"TPC-H scale factor {sf} -> {generate(sf, args.output, args.parts)}")


if __name__ == "__main__":
    main()
