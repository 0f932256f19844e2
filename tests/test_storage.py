"""Object stores through ``IOConfig``: reads, globbed reads, ``download`` and
``upload`` against a real S3 endpoint (the ``moto`` server on 127.0.0.1),
checked against boto3/pyarrow and against Daft 0.7.26 reading the same keys."""

from __future__ import annotations

import io
import os

import boto3
import daft
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ketch
from ketch import col
from ketch.io import IOConfig, S3Config

BUCKET = "ketch-test"


@pytest.fixture(scope="module")
def s3():
    """``(endpoint, boto3 client)`` of a moto S3 server with one bucket of
    Parquet, CSV, JSON and binary objects."""
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    for key, table in _TABLES.items():
        buf = io.BytesIO()
        pq.write_table(table, buf)
        client.put_object(Bucket=BUCKET, Key=key, Body=buf.getvalue())
    client.put_object(Bucket=BUCKET, Key="text/a.csv", Body=b"x,y\n1,one\n2,two\n")
    client.put_object(Bucket=BUCKET, Key="text/b.jsonl", Body=b'{"x": 1, "y": "one"}\n{"x": 2, "y": null}\n')
    for i in range(5):
        client.put_object(Bucket=BUCKET, Key=f"blobs/{i}.bin", Body=bytes([i]) * (1000 + i))
    yield endpoint, client
    server.stop()


_TABLES = {
    "g/top.parquet": pa.table({"k": [1, 2], "v": ["a", "b"]}),
    "g/a/one.parquet": pa.table({"k": [3], "v": ["c"]}),
    "g/a/b/two.parquet": pa.table({"k": [4, 5], "v": ["d", None]}),
    "g/c/three.parquet": pa.table({"k": [6], "v": ["e"]}),
}


def config(mod, endpoint, **kw):
    s3 = mod.io.S3Config(endpoint_url=endpoint, key_id="testing", access_key="testing", region_name="us-east-1", **kw)
    return mod.io.IOConfig(s3=s3)


def rows(df):
    return sorted(zip(*df.to_pydict().values()), key=repr)


@pytest.mark.parametrize(
    "path",
    [
        "s3://ketch-test/g/top.parquet",
        "s3://ketch-test/g/**/*.parquet",
        "s3://ketch-test/g/*/*.parquet",
        "s3://ketch-test/g/a/**",
        ["s3://ketch-test/g/top.parquet", "s3://ketch-test/g/c/three.parquet"],
    ],
)
def test_read_parquet_matches_daft_and_pyarrow(s3, path):
    endpoint, client = s3
    ours = ketch.read_parquet(path, io_config=config(ketch, endpoint))
    theirs = daft.read_parquet(path, io_config=config(daft, endpoint))
    assert rows(ours) == rows(theirs)
    assert ours.schema().column_names() == ["k", "v"]
    # pyarrow on the objects boto3 lists is the independent reference for the glob.
    if path == "s3://ketch-test/g/**/*.parquet":
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="g/")["Contents"]]
        ref = pa.concat_tables([_TABLES[k] for k in keys])
        assert rows(ours) == sorted(zip(*ref.to_pydict().values()), key=repr)


def test_default_io_config_from_planning_config(s3):
    endpoint, _ = s3
    with ketch.planning_config_ctx(default_io_config=config(ketch, endpoint)):
        df = ketch.read_parquet("s3://ketch-test/g/c/three.parquet")
        assert df.to_pydict() == {"k": [6], "v": ["e"]}
    assert ketch.get_context().daft_planning_config.default_io_config.s3.endpoint_url is None


def test_read_csv_and_json(s3):
    endpoint, _ = s3
    cfg = config(ketch, endpoint)
    assert ketch.read_csv("s3://ketch-test/text/a.csv", io_config=cfg).to_pydict() == {"x": [1, 2], "y": ["one", "two"]}
    out = ketch.read_json("s3://ketch-test/text/b.jsonl", io_config=cfg).to_pydict()
    assert out == {"x": [1, 2], "y": ["one", None]}


def test_download_and_upload(s3, tmp_path):
    endpoint, client = s3
    cfg = config(ketch, endpoint)
    urls = [f"s3://{BUCKET}/blobs/{i}.bin" for i in range(5)] + [None]
    got = ketch.from_pydict({"u": urls}).select(col("u").download(io_config=cfg)).to_pydict()["u"]
    want = [client.get_object(Bucket=BUCKET, Key=f"blobs/{i}.bin")["Body"].read() for i in range(5)]
    assert got == [*want, None]
    theirs = daft.from_pydict({"u": urls}).select(daft.col("u").download(io_config=config(daft, endpoint)))
    assert theirs.to_pydict()["u"] == got

    written = (
        ketch.from_pydict({"b": [b"first", b"second"]})
        .select(col("b").upload(f"s3://{BUCKET}/up", io_config=cfg))
        .to_pydict()["b"]
    )
    assert all(u.startswith(f"s3://{BUCKET}/up/") for u in written)
    bodies = [client.get_object(Bucket=BUCKET, Key=u.split(f"{BUCKET}/", 1)[1])["Body"].read() for u in written]
    assert bodies == [b"first", b"second"]


def test_errors_name_the_path(s3):
    endpoint, _ = s3
    cfg = config(ketch, endpoint)
    with pytest.raises(FileNotFoundError, match="blobs/missing.bin"):
        ketch.from_pydict({"u": [f"s3://{BUCKET}/blobs/missing.bin"]}).select(
            col("u").download(io_config=cfg)
        ).collect()
    nulls = ketch.from_pydict({"u": [f"s3://{BUCKET}/blobs/missing.bin"]})
    assert nulls.select(col("u").download(on_error="null", io_config=cfg)).to_pydict() == {"u": [None]}
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        ketch.read_parquet(f"s3://{BUCKET}/nothing-here/*.parquet", io_config=cfg)
    with pytest.raises(Exception, match="no-such-bucket"):
        ketch.read_parquet("s3://no-such-bucket/x.parquet", io_config=cfg)
    unreachable = config(ketch, "http://127.0.0.1:9", num_tries=1, connect_timeout_ms=500)
    with pytest.raises(Exception, match="127.0.0.1:9|s3://ketch-test"):
        ketch.read_parquet(f"s3://{BUCKET}/g/top.parquet", io_config=unreachable)
    with pytest.raises(TypeError, match="IOConfig"):
        ketch.read_parquet(f"s3://{BUCKET}/g/top.parquet", io_config={"s3": {}})


def test_io_config_classes_match_daft():
    for name in ["S3Config", "GCSConfig", "AzureConfig"]:
        ours, theirs = getattr(ketch.io, name)(), getattr(daft.io, name)()
        for field in type(ours)._FIELDS:
            if hasattr(theirs, field):
                assert getattr(ours, field) == getattr(theirs, field), (name, field)
    a = S3Config(region_name="eu-west-1", num_tries=3)
    b = a.replace(anonymous=True)
    assert (b.region_name, b.num_tries, b.anonymous, a.anonymous) == ("eu-west-1", 3, True, False)
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        S3Config(bogus=1)
    with pytest.raises(TypeError, match="not an instance of 'S3Config'"):
        IOConfig(s3=ketch.io.GCSConfig())
    assert repr(IOConfig()) == "IOConfig {}" and "redacted" in repr(S3Config(access_key="secret"))
    assert "secret" not in repr(S3Config(access_key="secret"))


@pytest.mark.parametrize("pattern", ["**/*.parquet", "*/*.parquet", "*.parquet", "a/**"])
def test_local_globs_match_daft(tmp_path, pattern):
    """`**` matches any depth and `*` stays within one folder, as in Daft (the
    same matcher serves local and object-store listings)."""
    for key, table in _TABLES.items():
        path = tmp_path / key.removeprefix("g/")
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
    glob = str(tmp_path / pattern)
    assert rows(ketch.read_parquet(glob)) == rows(daft.read_parquet(glob))
