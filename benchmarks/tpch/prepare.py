"""Benchmark data: TPC-H from tpchgen-cli (pinned), converted once into the
copy every engine reads.

Daft 0.7.26 cannot read tpchgen's ``Utf8View`` strings and overflows on its
``Decimal128(15, 2)`` money columns, so the benchmark reads a converted copy:
plain ``Utf8`` strings, ``float64`` money columns, and several files per large
table so scans run in parallel. All engines read the very same files.
"""

from __future__ import annotations

import math
import os
import shutil
import sys

import pyarrow as pa
import pyarrow.compute  # noqa: F401 - registers cast kernels
import pyarrow.dataset as ds

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples"))

from gen_tpch import TABLES, generate, table_path  # noqa: E402

FILES_PER_LARGE_TABLE = 4
ROWS_PER_GROUP = 131_072


def _plain_type(t: pa.DataType) -> pa.DataType:
    if pa.types.is_string_view(t) or pa.types.is_large_string(t):
        return pa.string()
    if pa.types.is_decimal(t):
        return pa.float64()
    return t


def convert_table(src: str, dest: str) -> None:
    """Rewrites one table with plain strings and float64 money columns."""
    dataset = ds.dataset(src, format="parquet")
    schema = pa.schema([pa.field(f.name, _plain_type(f.type), f.nullable) for f in dataset.schema])
    rows = dataset.count_rows()
    files = FILES_PER_LARGE_TABLE if rows >= 4 * ROWS_PER_GROUP else 1
    per_file = max(1, math.ceil(rows / files))
    batches = (b.cast(schema) for b in dataset.to_batches())
    ds.write_dataset(
        batches,
        dest,
        schema=schema,
        format="parquet",
        max_rows_per_file=per_file,
        max_rows_per_group=min(ROWS_PER_GROUP, per_file),
        min_rows_per_group=min(ROWS_PER_GROUP, per_file),
        basename_template="part-{i}.parquet",
        existing_data_behavior="overwrite_or_ignore",
    )


def prepare(scale_factor: float, cache_dir: str) -> str:
    """The converted data set for ``scale_factor`` under ``cache_dir``
    (generated and converted on first use); returns its folder."""
    sf = int(scale_factor) if float(scale_factor).is_integer() else scale_factor
    out = os.path.join(cache_dir, f"tpch-sf{sf}-bench")
    if os.path.exists(os.path.join(out, ".done")):
        return out
    raw = generate(sf, os.path.join(cache_dir, f"tpch-sf{sf}"))
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    for t in TABLES:
        convert_table(table_path(raw, t), os.path.join(tmp, t))
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    open(os.path.join(out, ".done"), "w").close()
    return out
