"""Object stores through ``IOConfig``: reads, globbed reads, ``download`` and
``upload`` against a real S3 endpoint (the ``moto`` server on 127.0.0.1),
checked against boto3/pyarrow and against Daft 0.7.26 reading the same keys."""

from __future__ import annotations

import io
import os

import daft
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ketch
from conftest import AZURITE_KEY, _free_port, s3_client, wait_for_port
from ketch import col
from ketch._native import io_stats, reset_io_stats
from ketch.io import IOConfig, S3Config

BUCKET = "ketch-test"


@pytest.fixture(scope="module")
def s3(moto_endpoint):
    """``(endpoint, boto3 client)`` of a moto S3 server with one bucket of
    Parquet, CSV, JSON and binary objects."""
    endpoint = moto_endpoint
    client = s3_client(endpoint)
    client.create_bucket(Bucket=BUCKET)
    for key, table in _TABLES.items():
        buf = io.BytesIO()
        pq.write_table(table, buf)
        client.put_object(Bucket=BUCKET, Key=key, Body=buf.getvalue())
    client.put_object(Bucket=BUCKET, Key="text/a.csv", Body=b"x,y\n1,one\n2,two\n")
    client.put_object(Bucket=BUCKET, Key="text/b.jsonl", Body=b'{"x": 1, "y": "one"}\n{"x": 2, "y": null}\n')
    for i in range(5):
        client.put_object(Bucket=BUCKET, Key=f"blobs/{i}.bin", Body=bytes([i]) * (1000 + i))
    return endpoint, client


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
    limited = config(ketch, endpoint, max_connections=1, num_tries=2, retry_initial_backoff_ms=10, read_timeout_ms=5000)
    assert ketch.read_parquet("s3://ketch-test/g/**", io_config=limited).count_rows() == 6
    text = ketch.read_text("s3://ketch-test/text/*", io_config=cfg, file_path_column="f").to_pydict()
    assert text == {
        "text": ["x,y", "1,one", "2,two", '{"x": 1, "y": "one"}', '{"x": 2, "y": null}'],
        "f": ["s3://ketch-test/text/a.csv"] * 3 + ["s3://ketch-test/text/b.jsonl"] * 2,
    }


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
    with pytest.raises(ValueError, match="names no bucket"):
        ketch.from_pydict({"a": [1]}).write_parquet("s3://", io_config=cfg)
    with pytest.raises(FileNotFoundError, match="(?s)writing s3://no-such-bucket/out.*NoSuchBucket"):
        ketch.from_pydict({"a": [1]}).write_parquet("s3://no-such-bucket/out", io_config=cfg)


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


def keys(client, prefix):
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))


def s3_table(client, key):
    return pq.read_table(io.BytesIO(client.get_object(Bucket=BUCKET, Key=key)["Body"].read()))


def test_write_parquet_csv_json_to_s3(s3):
    """Each format lands under the prefix with Daft's `<uuid>-<n>` names; boto3
    and pyarrow read back exactly the rows written."""
    endpoint, client = s3
    cfg = config(ketch, endpoint)
    df = ketch.from_pydict({"a": [1, 2, 3], "b": ["x", None, "z"]})
    for fmt in ["parquet", "csv", "json"]:
        reset_io_stats()
        paths = getattr(df, f"write_{fmt}")(f"s3://{BUCKET}/w/{fmt}", io_config=cfg).to_pydict()["path"]
        assert [p.split(f"{BUCKET}/", 1)[1] for p in paths] == keys(client, f"w/{fmt}/")
        sizes = [client.head_object(Bucket=BUCKET, Key=k)["ContentLength"] for k in keys(client, f"w/{fmt}/")]
        # each file uploaded once (then moved by copy), besides the commit journal (~200 bytes)
        assert sum(sizes) < io_stats()["bytes_written"] < sum(sizes) + 1024
        assert all(p.startswith(f"s3://{BUCKET}/w/{fmt}/") and p.endswith(f"-0.{fmt}") for p in paths)
        body = client.get_object(Bucket=BUCKET, Key=paths[0].split(f"{BUCKET}/", 1)[1])["Body"].read()
        if fmt == "parquet":
            assert pq.read_table(io.BytesIO(body)).to_pydict() == {"a": [1, 2, 3], "b": ["x", None, "z"]}
        elif fmt == "csv":
            assert body.decode().splitlines() == ["a,b", "1,x", "2,", "3,z"]
        else:
            assert [line for line in body.decode().splitlines()] == [
                '{"a":1,"b":"x"}',
                '{"a":2,"b":null}',
                '{"a":3,"b":"z"}',
            ]
        back = getattr(ketch, f"read_{fmt}")(f"s3://{BUCKET}/w/{fmt}/**", io_config=cfg).sort("a").to_pydict()
        assert back == {"a": [1, 2, 3], "b": ["x", None, "z"]}


def test_write_modes_on_s3(s3):
    """append adds files, overwrite replaces all data files (other prefixes
    untouched), overwrite-partitions replaces only the written partitions; the
    result has the partition values; `_SUCCESS` when asked."""
    endpoint, client = s3
    cfg = config(ketch, endpoint)
    root = f"s3://{BUCKET}/modes"
    client.put_object(Bucket=BUCKET, Key="modes-sibling/keep.txt", Body=b"keep")
    ketch.from_pydict({"a": [1]}).write_parquet(root, io_config=cfg)
    ketch.from_pydict({"a": [2]}).write_parquet(root, io_config=cfg)
    assert sorted(ketch.read_parquet(root, io_config=cfg).to_pydict()["a"]) == [1, 2]
    ketch.from_pydict({"a": [3]}).write_parquet(root, write_mode="overwrite", io_config=cfg, write_success_file=True)
    assert ketch.read_parquet(root, io_config=cfg).to_pydict()["a"] == [3]
    assert len(keys(client, "modes/")) == 2 and "modes/_SUCCESS" in keys(client, "modes/")
    assert keys(client, "modes-sibling/") == ["modes-sibling/keep.txt"]

    hive = f"s3://{BUCKET}/hive"
    df = ketch.from_pydict({"k": [1, 2, 1], "v": ["a", "b", "c"]})
    written = df.write_parquet(hive, partition_cols=["k"], io_config=cfg).to_pydict()
    assert sorted(written["k"]) == [1, 2]
    assert all(p.startswith(f"{hive}/k={k}/") for p, k in zip(written["path"], written["k"]))
    ketch.from_pydict({"k": [2], "v": ["z"]}).write_parquet(
        hive, partition_cols=["k"], write_mode="overwrite-partitions", io_config=cfg
    )
    back = ketch.read_parquet(f"{hive}/**", hive_partitioning=True, io_config=cfg)
    assert rows(back.select("k", "v")) == [(1, "a"), (1, "c"), (2, "z")]
    ref = pa.concat_tables([s3_table(client, k) for k in keys(client, "hive/")])
    assert sorted(ref.column("v").to_pylist()) == ["a", "c", "z"]

    single = f"s3://{BUCKET}/single/out.parquet"
    assert df.write_parquet(single, single_file=True, io_config=cfg).to_pydict() == {"path": [single]}
    assert keys(client, "single/") == ["single/out.parquet"]
    assert s3_table(client, "single/out.parquet").to_pydict() == {"k": [1, 2, 1], "v": ["a", "b", "c"]}


def test_failed_write_to_s3_loses_nothing(s3):
    """A query that fails after some files were written leaves the previous
    data readable and no new or staging objects behind."""
    endpoint, client = s3
    cfg = config(ketch, endpoint)
    root = f"s3://{BUCKET}/safe"
    ketch.from_pydict({"s": ["1", "2"]}).write_parquet(root, io_config=cfg)
    before = keys(client, "safe/")

    @ketch.func
    def strict_int(s: str) -> int:
        return int(s)

    bad = ketch.from_pydict({"s": [str(i) for i in range(200)] + ["x"]}).select(strict_int(col("s")))
    # Small files and batches, so several files are written before the bad row.
    with ketch.execution_config_ctx(default_morsel_size=20, parquet_target_filesize=40, parquet_inflation_factor=1.0):
        with pytest.raises(ketch.exceptions.DaftCoreException, match="strict_int"):
            bad.write_parquet(root, write_mode="overwrite", io_config=cfg)
    assert keys(client, "safe/") == before
    assert sorted(ketch.read_parquet(root, io_config=cfg).to_pydict()["s"]) == ["1", "2"]


@pytest.fixture(scope="module")
def denying_s3():
    """A moto server that checks credentials (none are known to it)."""
    import subprocess
    import sys

    port = _free_port()
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="0")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait()


def test_denied_credentials_name_the_path(denying_s3):
    cfg = IOConfig(s3=S3Config(endpoint_url=denying_s3, key_id="nobody", access_key="wrong", num_tries=1))
    with pytest.raises(ketch.exceptions.DaftCoreException, match=r"(?i)s3://ketch-test/x.parquet.*privileges"):
        ketch.read_parquet(f"s3://{BUCKET}/x.parquet", io_config=cfg)
    with pytest.raises(ketch.exceptions.DaftCoreException, match=r"(?i)writing s3://ketch-test/out.*privileges"):
        ketch.from_pydict({"a": [1]}).write_parquet(f"s3://{BUCKET}/out", io_config=cfg)
    with pytest.raises(ketch.exceptions.DaftCoreException, match=r"(?i)s3://ketch-test/k.bin.*privileges"):
        ketch.from_pydict({"u": [f"s3://{BUCKET}/k.bin"]}).select(col("u").download(io_config=cfg)).collect()


@pytest.mark.parametrize(
    "pattern",
    ["s3://ketch-test/blobs/*.bin", "s3://ketch-test/g/**", "s3://ketch-test/g/", "s3://ketch-test/g/top.parquet"],
)
def test_from_glob_path_and_read_blob_on_s3(s3, pattern):
    """The same files and sizes as Daft lists, and as boto3 holds."""
    endpoint, client = s3
    ours = ketch.from_glob_path(pattern, io_config=config(ketch, endpoint)).to_pydict()
    theirs = daft.from_glob_path(pattern, io_config=config(daft, endpoint)).to_pydict()
    assert ours["path"] == sorted(ours["path"]) and rows(ketch.from_pydict(ours)) == rows(daft.from_pydict(theirs))
    for path, size in zip(ours["path"], ours["size"]):
        assert client.head_object(Bucket=BUCKET, Key=path.split(f"{BUCKET}/", 1)[1])["ContentLength"] == size
    if pattern.endswith("*.bin"):
        blobs = ketch.read_blob(pattern, io_config=config(ketch, endpoint)).to_pydict()
        assert blobs["content"] == [bytes([i]) * (1000 + i) for i in range(5)]
    # Lazy, as in Daft; nothing matching is an empty table and a warning
    # naming the pattern (Daft fails with an internal error instead).
    empty = ketch.from_glob_path(f"s3://{BUCKET}/nothing/**", io_config=config(ketch, endpoint))
    with pytest.warns(UserWarning, match="nothing"):
        assert empty.to_pydict() == {"path": [], "size": [], "num_rows": []}


def test_files_keep_their_io_config(s3):
    """`file(url, io_config)` stores the config with each file (Daft's
    `io_config` field): size, existence, download and `File.read` reach S3."""
    endpoint, client = s3
    cfg = config(ketch, endpoint)
    urls = [f"s3://{BUCKET}/blobs/{i}.bin" for i in range(3)] + [f"s3://{BUCKET}/blobs/missing.bin"]
    f = ketch.functions.file(col("u"), io_config=cfg)
    out = ketch.from_pydict({"u": urls}).select(
        ketch.functions.file_exists(f).alias("exists"), ketch.functions.file_path(f).alias("path")
    )
    assert out.to_pydict() == {"exists": [True, True, True, False], "path": urls}
    sizes = ketch.from_pydict({"u": urls[:3]}).select(ketch.functions.file_size(f).alias("n")).to_pydict()["n"]
    assert sizes == [client.head_object(Bucket=BUCKET, Key=f"blobs/{i}.bin")["ContentLength"] for i in range(3)]
    got = ketch.from_pydict({"u": urls[:3]}).select(f.download().alias("b")).to_pydict()["b"]
    assert got == [bytes([i]) * (1000 + i) for i in range(3)]
    files = ketch.from_pydict({"u": urls}).select(f.alias("f")).to_pydict()["f"]
    assert files[1].read() == bytes([1]) * 1001 and files[1].size() == 1001
    assert files[3].exists() is False


def test_http_reads(s3):
    """Plain HTTP(S) URLs (here moto serving public objects with ranges):
    every reader, the same rows as Daft; writes are refused."""
    endpoint, client = s3
    client.put_object(Bucket=BUCKET, Key="pub/t.csv", Body=b"a,b\n1,x\n2,y\n", ACL="public-read")
    client.put_object_acl(Bucket=BUCKET, Key="g/top.parquet", ACL="public-read")
    url = f"{endpoint}/{BUCKET}/g/top.parquet"
    assert ketch.read_parquet(url).to_pydict() == daft.read_parquet(url).to_pydict() == {"k": [1, 2], "v": ["a", "b"]}
    csv = f"{endpoint}/{BUCKET}/pub/t.csv"
    assert ketch.read_csv(csv).to_pydict() == daft.read_csv(csv).to_pydict()
    assert ketch.read_text(csv).to_pydict() == {"text": ["a,b", "1,x", "2,y"]}
    assert ketch.from_glob_path(csv).to_pydict()["size"] == [12]
    with pytest.raises(ValueError, match="read only"):
        ketch.from_pydict({"a": [1]}).write_parquet(f"{endpoint}/{BUCKET}/out")


def test_azure_blob_reads_writes_and_globs(azurite):
    """`az://` and `abfs://` against Azurite: writes land as the Azure SDK
    lists them, reads, globs, overwrite and download give back what was
    written."""
    from azure.storage.blob import BlobServiceClient

    endpoint, conn = azurite
    service = BlobServiceClient.from_connection_string(conn)
    service.create_container("ketch")
    container = service.get_container_client("ketch")
    azure = ketch.io.AzureConfig(
        storage_account="devstoreaccount1", access_key=AZURITE_KEY, endpoint_url=endpoint, use_ssl=False
    )
    cfg = IOConfig(azure=azure)
    df = ketch.from_pydict({"k": [1, 2, 1], "v": ["a", "b", "c"]})
    written = df.write_parquet("az://ketch/t", partition_cols=["k"], io_config=cfg).to_pydict()
    names = sorted(b.name for b in container.list_blobs(name_starts_with="t/"))
    assert names == sorted(p.removeprefix("az://ketch/") for p in written["path"])
    body = container.download_blob(names[0]).readall()
    assert pq.read_table(io.BytesIO(body)).num_rows in (1, 2)
    back = ketch.read_parquet("abfs://ketch/t/**", hive_partitioning=True, io_config=cfg)
    assert rows(back.select("k", "v")) == [(1, "a"), (1, "c"), (2, "b")]
    ketch.from_pydict({"k": [3], "v": ["z"]}).write_parquet("az://ketch/t", write_mode="overwrite", io_config=cfg)
    assert ketch.read_parquet("az://ketch/t/**", io_config=cfg).to_pydict() == {"k": [3], "v": ["z"]}
    files = ketch.from_glob_path("az://ketch/t/*.parquet", io_config=cfg).to_pydict()
    assert len(files["path"]) == 1
    blob = ketch.from_pydict({"u": files["path"]}).select(col("u").download(io_config=cfg)).to_pydict()["u"][0]
    assert blob == container.download_blob(files["path"][0].removeprefix("az://ketch/")).readall()
    with pytest.raises(FileNotFoundError):
        ketch.read_parquet("az://ketch/nothing/**", io_config=cfg)


def test_each_call_keeps_its_own_io_config(s3):
    """Two configs for one bucket: a plan built with the first still reads
    through its own client after a call with the second (plans run late)."""
    endpoint, _ = s3
    df = ketch.read_parquet(f"s3://{BUCKET}/g/top.parquet", io_config=config(ketch, endpoint))
    unreachable = config(ketch, "http://127.0.0.1:9", num_tries=1, connect_timeout_ms=300)
    with pytest.raises(Exception) as failed:
        ketch.read_parquet(f"s3://{BUCKET}/g/top.parquet", io_config=unreachable)
    assert f"s3://{BUCKET}/g/top.parquet" in str(failed.value) and "s3+" not in str(failed.value)
    assert df.to_pydict() == {"k": [1, 2], "v": ["a", "b"]}
    paths = ketch.read_parquet(
        f"s3://{BUCKET}/g/**", io_config=config(ketch, endpoint), file_path_column="f"
    ).to_pydict()["f"]
    assert all(p.startswith(f"s3://{BUCKET}/g/") for p in paths)


def test_environment_credentials_and_settings(s3, monkeypatch):
    """With no IOConfig the clients take the environment as they normally do
    (`AWS_*`: keys, endpoint, plain HTTP); a partial config keeps the rest."""
    endpoint, client = s3
    client.create_bucket(Bucket="ketch-env")
    buf = io.BytesIO()
    pq.write_table(pa.table({"x": [7, 8]}), buf)
    client.put_object(Bucket="ketch-env", Key="t.parquet", Body=buf.getvalue())
    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(k, v)
    assert ketch.read_parquet("s3://ketch-env/t.parquet").to_pydict() == {"x": [7, 8]}
    partial = IOConfig(s3=S3Config(num_tries=2))
    assert ketch.read_parquet("s3://ketch-env/t.parquet", io_config=partial).to_pydict() == {"x": [7, 8]}


def test_webdataset_byte_ranges_on_s3(s3, tmp_path):
    """read_webdataset on S3: File values are ranges of the shard, read with range requests."""
    import tarfile

    endpoint, client = s3
    cfg = config(ketch, endpoint)
    members = [(f"k{i}.{ext}", bytes([i]) * (i * 7) + ext.encode()) for i in range(4) for ext in ("png", "bin")]
    with tarfile.open(tmp_path / "shard.tar", "w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    client.put_object(Bucket=BUCKET, Key="wds/shard.tar", Body=(tmp_path / "shard.tar").read_bytes())
    df = ketch.read_webdataset(f"s3://{BUCKET}/wds/", io_config=cfg)
    assert repr(df.schema()["png"].dtype) == "File[Image]"
    out = df.select("__key__", col("png").download().alias("png"), col("bin").download().alias("bin")).to_pydict()
    assert out["__key__"] == ["k0", "k1", "k2", "k3"]
    assert out["png"] == [data for name, data in members if name.endswith(".png")]
    assert out["bin"] == [data for name, data in members if name.endswith(".bin")]
    assert [f.read() for f in df.to_pydict()["bin"]] == out["bin"]
