"""Delta Lake, Iceberg and Lance tables, each created locally by its own
project's writer (``deltalake``, ``pyiceberg``, ``pylance``) and read back by
that project as the reference; Delta also against Daft 0.7.26 and on S3
(moto)."""

from __future__ import annotations

import contextlib
import io

import daft
import deltalake
import lance
import pyarrow as pa
import pytest

import ketch
from conftest import s3_client
from ketch import col
from ketch.io import IOConfig, S3Config


def rows(table) -> list:
    if isinstance(table, (ketch.DataFrame, daft.DataFrame)):
        table = table.to_arrow()
    table = pa.table(table)
    return sorted(zip(*[table.column(n).to_pylist() for n in table.column_names]), key=repr)


def explain(df) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        df.explain(show_all=True)
    return buf.getvalue()


DATA = pa.table(
    {
        "a": pa.array([1, 2, 3, 4, 5], pa.int64()),
        "p": ["x", "y", "x", None, "y"],
        "s": ["one", "two", None, "four", "five"],
        "ts": pa.array([1, 2, 3, 4, 5], pa.timestamp("us", "UTC")),
    }
)


# --- Delta Lake ------------------------------------------------------------


@pytest.fixture
def delta(tmp_path):
    """A partitioned Delta table in two versions (write, then append)."""
    path = str(tmp_path / "delta")
    deltalake.write_deltalake(path, DATA, partition_by=["p"])
    deltalake.write_deltalake(path, DATA.slice(0, 2), partition_by=["p"], mode="append")
    return path


def test_read_deltalake_matches_deltalake_and_daft(delta):
    ours = ketch.read_deltalake(delta)
    ref = deltalake.DeltaTable(delta).to_pyarrow_table()
    assert ours.schema().column_names() == ref.column_names
    assert rows(ours) == rows(ref)
    assert rows(ours) == rows(daft.read_deltalake(delta))
    old = ketch.read_deltalake(delta, version=0)
    assert rows(old) == rows(DATA.select(ref.column_names))


def test_read_deltalake_prunes_partitions_and_columns(delta):
    df = ketch.read_deltalake(delta).where(col("p") == "y").select("a", "p")
    ref = deltalake.DeltaTable(delta).to_pyarrow_table()
    assert rows(df) == sorted([(a, p) for a, p in zip(ref["a"].to_pylist(), ref["p"].to_pylist()) if p == "y"])
    plan = explain(df).split("== Physical Plan ==")[1]
    assert "p=y/" in plan and "p=x/" not in plan and "__HIVE_DEFAULT_PARTITION__" not in plan
    assert [c.strip() for c in plan.split("projection=[")[1].split("]")[0].split(",")] == ["a", "y as p"]


def test_read_deltalake_column_mapping_through_deltalake(tmp_path):
    path = str(tmp_path / "mapped")
    deltalake.write_deltalake(path, DATA, configuration={"delta.columnMapping.mode": "name"})
    df = ketch.read_deltalake(path)
    # (deltalake's own to_pyarrow_table reads mapped columns as nulls: the data written is the reference.)
    assert rows(df) == rows(DATA)
    assert rows(df.where(col("a") > 3).select("s")) == [("five",), ("four",)]
    assert df.count_rows() == 5


def test_write_deltalake_read_by_deltalake(tmp_path):
    path = str(tmp_path / "written")
    df = ketch.from_arrow(DATA)
    added = df.write_deltalake(path, partition_cols=["p"]).to_pydict()
    assert set(added["operation"]) == {"ADD"} and sum(added["rows"]) == 5 and len(added["file_name"]) == 3
    table = deltalake.DeltaTable(path)
    assert table.metadata().partition_columns == ["p"]
    assert rows(table.to_pyarrow_table().select(DATA.column_names)) == rows(DATA)
    replaced = ketch.from_arrow(DATA.slice(0, 1)).write_deltalake(path, mode="overwrite", partition_cols=["p"])
    ops = replaced.to_pydict()
    assert sorted(ops["operation"]) == ["ADD", "DELETE", "DELETE", "DELETE"]
    assert ops["rows"][ops["operation"].index("ADD")] == 1
    assert rows(ketch.read_deltalake(path).select(*DATA.column_names)) == rows(DATA.slice(0, 1))
    theirs = daft.from_arrow(DATA).write_deltalake(str(tmp_path / "daft"), partition_cols=["p"])
    assert theirs.schema().column_names() == replaced.schema().column_names()
    with pytest.raises(ValueError, match="mode"):
        df.write_deltalake(path, mode="upsert")


def test_deltalake_on_s3(moto_endpoint):
    client = s3_client(moto_endpoint)
    client.create_bucket(Bucket="ketch-delta")
    cfg = IOConfig(s3=S3Config(endpoint_url=moto_endpoint, key_id="testing", access_key="testing"))
    uri = "s3://ketch-delta/t"
    ketch.from_arrow(DATA).write_deltalake(uri, partition_cols=["p"], io_config=cfg, allow_unsafe_rename=True)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="ketch-delta")["Contents"]]
    assert any(k.startswith("t/_delta_log/") for k in keys) and any(k.startswith("t/p=x/") for k in keys)
    assert rows(ketch.read_deltalake(uri, io_config=cfg).select(*DATA.column_names)) == rows(DATA)


# --- Iceberg ---------------------------------------------------------------


@pytest.fixture
def iceberg(tmp_path):
    from pyiceberg.catalog.sql import SqlCatalog

    catalog = SqlCatalog("test", uri=f"sqlite:///{tmp_path}/catalog.db", warehouse=f"file://{tmp_path}")
    catalog.create_namespace("ns")
    table = catalog.create_table("ns.t", schema=DATA.schema)
    table.append(DATA)
    table.append(DATA.slice(1, 2))
    return table


def test_read_iceberg_matches_pyiceberg(iceberg):
    ours = ketch.read_iceberg(iceberg)
    assert ours.schema().column_names() == DATA.column_names
    assert rows(ours) == rows(iceberg.scan().to_arrow())
    first = iceberg.history()[0].snapshot_id
    assert rows(ketch.read_iceberg(iceberg, snapshot_id=first)) == rows(DATA)
    assert rows(ketch.read_iceberg(iceberg.metadata_location)) == rows(ours)
    filtered = ketch.read_iceberg(iceberg).where(col("a") >= 4).select("a", "s")
    assert rows(filtered) == [(4, "four"), (5, "five")]
    assert "pruning_predicate=" in explain(filtered)
    with pytest.raises(ValueError, match="no snapshot"):
        ketch.read_iceberg(iceberg, snapshot_id=1)


def test_read_iceberg_after_schema_evolution_and_deletes(iceberg):
    with iceberg.update_schema() as update:
        update.rename_column("s", "label")
    iceberg.delete("a = 2")
    ours = ketch.read_iceberg(iceberg)
    assert ours.schema().column_names() == ["a", "p", "label", "ts"]
    assert rows(ours) == rows(iceberg.scan().to_arrow())
    assert rows(ours.where(col("a") > 3).select("label")) == [("five",), ("four",)]
    assert ours.count_rows() == iceberg.scan().to_arrow().num_rows  # no columns asked of pyiceberg


def test_write_iceberg(iceberg):
    before = iceberg.scan().to_arrow().num_rows
    out = ketch.from_arrow(DATA.slice(0, 2)).write_iceberg(iceberg).to_pydict()
    assert out["operation"] == ["ADD"] and out["rows"] == [2]
    assert iceberg.scan().to_arrow().num_rows == before + 2
    ketch.from_arrow(DATA.slice(0, 1)).write_iceberg(iceberg, mode="overwrite")
    assert rows(iceberg.scan().to_arrow()) == rows(DATA.slice(0, 1))


# --- Lance -----------------------------------------------------------------


def test_read_lance_matches_lance(tmp_path):
    path = str(tmp_path / "t.lance")
    lance.write_dataset(DATA, path)
    lance.write_dataset(DATA.slice(0, 2), path, mode="append")
    ours = ketch.read_lance(path)
    assert rows(ours) == rows(lance.dataset(path).to_table())
    assert rows(ketch.read_lance(path, version=1)) == rows(DATA)
    df = ours.where(col("a") > 3).select("s")
    assert rows(df) == [("five",), ("four",)]
    assert "lance: projection=[a, s], filter=[a > 3]" in explain(df)
    assert ours.limit(2).to_arrow().num_rows == 2


def test_write_lance_read_by_lance(tmp_path):
    path = str(tmp_path / "w.lance")
    out = ketch.from_arrow(DATA).write_lance(path).to_pydict()
    assert out["num_rows"] == [5]
    assert rows(lance.dataset(path).to_table()) == rows(DATA)
    ketch.from_arrow(DATA.slice(0, 1)).write_lance(path, mode="append")
    assert lance.dataset(path).count_rows() == 6
    ketch.from_arrow(DATA.slice(0, 1)).write_lance(path, mode="overwrite")
    assert rows(ketch.read_lance(path)) == rows(DATA.slice(0, 1))


def test_read_deltalake_partition_values_needing_escapes(tmp_path):
    """Partition folders with spaces, slashes, `%`, `=` and non-ASCII (escaped
    twice in the log) map to the right files."""
    path = str(tmp_path / "escaped")
    data = pa.table({"a": list(range(6)), "p": ["a b", "x/y", "é%", None, "q=1", "a b"]})
    deltalake.write_deltalake(path, data, partition_by=["p"])
    ours = ketch.read_deltalake(path)
    assert rows(ours) == rows(data)
    assert rows(ours.where(col("p") == "x/y")) == [(1, "x/y")]
