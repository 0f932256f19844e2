"""Pushdowns into Parquet scans on S3 (the moto server), shown by
``explain(show_all=True)`` and proved by the bytes the object store actually
served (``ketch._native.io_stats``, counted on every store's GET ranges):
column projection, row-group statistics, the page index, hive partition
pruning and limits each read a fraction of what a full scan reads. Results
are checked against pyarrow on the same data."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import ketch
from conftest import s3_client
from ketch import col
from ketch._native import io_stats, reset_io_stats
from ketch.io import IOConfig, S3Config

BUCKET = "ketch-pushdowns"
ROWS = 100_000  # per partition file; 10 row groups of 10,000 rows, pages of ~8 KiB
PARTS = 4


def _table(p: int) -> pa.Table:
    rng = np.random.default_rng(p)
    return pa.table(
        {
            "a": pa.array(np.arange(ROWS, dtype=np.int64)),
            "b": pa.array(rng.integers(0, 1 << 40, ROWS)),
            "s": pa.array([f"{x:032x}" for x in rng.integers(0, 1 << 62, ROWS)]),
        }
    )


@pytest.fixture(scope="module")
def dataset(moto_endpoint):
    """``(glob, IOConfig, pyarrow reference table)``: 4 hive partitions p=0..3
    of about 5 MB each."""
    client = s3_client(moto_endpoint)
    client.create_bucket(Bucket=BUCKET)
    parts = []
    for p in range(PARTS):
        table = _table(p)
        buf = io.BytesIO()
        pq.write_table(
            table, buf, row_group_size=10_000, data_page_size=8 << 10, write_page_index=True, use_dictionary=False
        )
        client.put_object(Bucket=BUCKET, Key=f"t/p={p}/data.parquet", Body=buf.getvalue())
        parts.append(table.append_column("p", pa.array([p] * ROWS, pa.int64())))
    cfg = IOConfig(s3=S3Config(endpoint_url=moto_endpoint, key_id="testing", access_key="testing"))
    return f"s3://{BUCKET}/t/**/*.parquet", cfg, pa.concat_tables(parts)


def _scan(dataset):
    glob, cfg, _ = dataset
    return ketch.read_parquet(glob, hive_partitioning=True, io_config=cfg)


def _bytes_read(df) -> tuple[int, pa.Table]:
    """Bytes the stores served while running ``df`` (already planned)."""
    reset_io_stats()
    out = df.to_arrow()
    return io_stats()["bytes_read"], out


def _explain(df) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        df.explain(show_all=True)
    return buf.getvalue()


def _rows(table: pa.Table, *names: str) -> list:
    return sorted(zip(*[table.column(n).to_pylist() for n in names]))


@pytest.fixture(scope="module")
def full(dataset):
    """Bytes of a scan of every column of every file (after a warm-up, so
    footers are cached as for the measured queries)."""
    _scan(dataset).collect()
    n, out = _bytes_read(_scan(dataset))
    assert out.num_rows == PARTS * ROWS
    return n


def test_projection_reads_only_the_selected_column(dataset, full):
    df = _scan(dataset).select("a")
    n, out = _bytes_read(df)
    assert _rows(out, "a") == _rows(dataset[2], "a")
    assert n < 0.25 * full, (n, full)
    assert "projection=[a]" in _explain(df)


def test_row_group_statistics_skip_row_groups(dataset, full):
    df = _scan(dataset).where(col("a") >= ROWS - 5_000).select("a", "s")
    n, out = _bytes_read(df)
    ref = dataset[2].filter(pc.greater_equal(dataset[2]["a"], ROWS - 5_000))
    assert _rows(out, "a", "s") == _rows(ref, "a", "s")
    # One row group of ten per file holds the rows.
    assert n < 0.15 * full, (n, full)
    text = _explain(df)
    assert "predicate=a@0 >= 95000" in text and "pruning_predicate=" in text


def test_page_index_skips_pages_inside_a_row_group(dataset, full):
    df = _scan(dataset).where(col("a") == 12_345)
    n, out = _bytes_read(df)
    ref = dataset[2].filter(pc.equal(dataset[2]["a"], 12_345))
    assert _rows(out, "a", "b", "s", "p") == _rows(ref, "a", "b", "s", "p")
    # A row group is a tenth of a file; the page index narrows it to a page or two per column.
    assert n < 0.02 * full, (n, full)


def test_hive_partition_filter_prunes_files(dataset, full):
    df = _scan(dataset).where(col("p") == 2)
    n, out = _bytes_read(df)
    assert out.num_rows == ROWS and set(out.column("p").to_pylist()) == {2}
    assert 0.2 * full < n < 0.3 * full, (n, full)
    text = _explain(df)
    assert "p=2/data.parquet" in text and "p=1/data.parquet" not in text


def test_limit_reads_the_first_rows_only(dataset, full):
    df = _scan(dataset).limit(10)
    n, out = _bytes_read(df)
    assert out.num_rows == 10
    assert n < 0.05 * full, (n, full)
    assert "limit=10" in _explain(df)


def test_pushdowns_section_in_explain(dataset):
    df = _scan(dataset).where((col("a") > 950) & (col("p") == 2)).select("b").limit(5)
    text = _explain(df)
    assert "== Pushdowns ==" in text
    section = text.split("== Pushdowns ==")[1].split("==")[0]
    assert "projection=[a, b]" in section, section
    assert "partition_filter=[p = 2]" in section, section
    assert "filter=[a > 950]" in section, section
