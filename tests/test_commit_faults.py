"""A write killed (SIGKILL) at any step of its commit never leaves a mixture
of old and new files: a later read sees exactly the old rows (killed before
the commit journal existed) or exactly the new ones (after), locally and on
S3 (a moto server), and a later overwrite removes the killed write's staging
folder. The kill points are the engine's fault-injection hook
(``KETCH_FAULT_INJECTION``, see ``crates/ketch-io/src/commit.rs``)."""

import os
import signal
import subprocess
import sys
import textwrap

import pyarrow.parquet as pq
import pytest

import ketch
from conftest import s3_client

BUCKET = "ketch-commit-faults"
OLD = list(range(0, 40))
NEW = list(range(1000, 1160))
# Small files: the old data is 4 files, the new 16.
SMALL_FILES = "default_morsel_size=10, parquet_target_filesize=80, parquet_inflation_factor=1.0"
STEPS = [
    ("commit:staged", OLD),
    ("commit:journal", NEW),
    ("commit:move:1", NEW),
    ("commit:move:9", NEW),
    ("commit:moved", NEW),
    ("commit:delete:1", NEW),
    ("commit:delete:3", NEW),
    ("commit:deleted", NEW),
]
# On S3 each move is a copy and a delete: the kills before, inside and after the moves.
S3_STEPS = [STEPS[i] for i in (0, 2, 3, 5)]

WRITER = """
import json, os, sys
import ketch
root, values, cfg = sys.argv[1], json.loads(sys.argv[2]), os.environ.get("TEST_S3_ENDPOINT")
io_config = None
if cfg:
    s3 = ketch.io.S3Config(endpoint_url=cfg, key_id="testing", access_key="testing", region_name="us-east-1")
    io_config = ketch.io.IOConfig(s3=s3)
with ketch.execution_config_ctx({small}):
    ketch.from_pydict({{"v": values}}).write_parquet(root, write_mode="overwrite", io_config=io_config)
"""


def write(root, values, fault=None, endpoint=None):
    """Runs an overwrite of `root` with `values` in a fresh process; returns its exit code."""
    env = dict(os.environ)
    env.pop("KETCH_FAULT_INJECTION", None)
    if fault:
        env["KETCH_FAULT_INJECTION"] = fault
    if endpoint:
        env["TEST_S3_ENDPOINT"] = endpoint
    script = textwrap.dedent(WRITER.format(small=SMALL_FILES))
    proc = subprocess.run(
        [sys.executable, "-c", script, root, str(values)], env=env, capture_output=True, text=True, timeout=300
    )
    assert fault or proc.returncode == 0, proc.stderr
    return proc.returncode


def local_files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("step, expected", STEPS, ids=[s for s, _ in STEPS])
def test_local_overwrite_killed_at_each_commit_step(tmp_path, step, expected):
    root = str(tmp_path / "t")
    write(root, OLD)
    assert len(local_files(root)) == 4
    assert write(root, NEW, fault=step) == -signal.SIGKILL
    # The killed process left its journal or staging folder: the read finishes or ignores it.
    assert any(f.startswith(".ketch-") for f in local_files(root))
    assert sorted(ketch.read_parquet(root).to_pydict()["v"]) == expected
    # pyarrow, reading the folder afterwards, agrees (the read left no mixture behind).
    data = [f for f in local_files(root) if not f.startswith((".", "_"))]
    assert sorted(v for f in data for v in pq.read_table(os.path.join(root, f)).column("v").to_pylist()) == expected
    # The next overwrite succeeds and leaves no journal or staging folder.
    write(root, [7])
    assert ketch.read_parquet(root).to_pydict()["v"] == [7]
    assert [f for f in local_files(root) if f.startswith(".")] == []
    assert [d for d in os.listdir(root) if d.startswith(".")] == []


@pytest.fixture(scope="module")
def s3(moto_endpoint):
    client = s3_client(moto_endpoint)
    client.create_bucket(Bucket=BUCKET)
    return moto_endpoint, client


def keys(client, prefix):
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("step, expected", S3_STEPS, ids=[s for s, _ in S3_STEPS])
def test_s3_overwrite_killed_at_each_commit_step(s3, step, expected):
    endpoint, client = s3
    prefix = f"t-{step.replace(':', '-')}"
    root = f"s3://{BUCKET}/{prefix}"
    write(root, OLD, endpoint=endpoint)
    assert len(keys(client, prefix + "/")) == 4
    assert write(root, NEW, fault=step, endpoint=endpoint) == -signal.SIGKILL
    assert any("/.ketch-" in k for k in keys(client, prefix + "/"))
    cfg = ketch.io.IOConfig(
        s3=ketch.io.S3Config(endpoint_url=endpoint, key_id="testing", access_key="testing", region_name="us-east-1")
    )
    assert sorted(ketch.read_parquet(root, io_config=cfg).to_pydict()["v"]) == expected
    write(root, [7], endpoint=endpoint)
    assert ketch.read_parquet(root, io_config=cfg).to_pydict()["v"] == [7]
    assert [k for k in keys(client, prefix + "/") if "/." in k] == []


SLOW_WRITER = """
import sys, time
import ketch
from ketch import col
root, n = sys.argv[1], int(sys.argv[2])

@ketch.func
def slow(v: int) -> int:
    if v == n // 2:
        time.sleep(4)  # staged files, then nothing new for a while: it looks abandoned by age
    return v

with ketch.execution_config_ctx({small}):
    ketch.from_pydict({{"v": list(range(n))}}).select(slow(col("v"))).write_parquet(root, write_mode="overwrite")
"""


@pytest.mark.skipif(os.name != "posix", reason="processes")
def test_an_overwrite_leaves_a_running_writers_staging_alone(tmp_path):
    """Writer B is slow; writer A overwrites the same folder and finishes
    first. A must not take B's staging folder for a killed write's: B then
    commits all its rows (before, A's cleanup removed B's first files and B
    committed the rest without an error)."""
    root = str(tmp_path / "t")
    write(root, OLD)
    script = textwrap.dedent(SLOW_WRITER.format(small=SMALL_FILES))
    b = subprocess.Popen([sys.executable, "-c", script, root, "2000"], stderr=subprocess.PIPE, text=True)
    # A starts once B has staged some files.
    for _ in range(600):
        staged = [f for f in local_files(root) if f.startswith(".ketch-staging-") and f.endswith(".parquet")]
        if staged or b.poll() is not None:
            break
        subprocess.run(["sleep", "0.05"])
    assert staged, "writer B staged nothing"
    write(root, [7])
    assert b.wait(timeout=300) == 0, b.stderr.read()
    assert sorted(ketch.read_parquet(root).to_pydict()["v"]) == list(range(2000))
    assert [f for f in local_files(root) if f.startswith(".")] == []


def test_a_read_through_a_file_url_finishes_a_killed_commit(tmp_path):
    root = str(tmp_path / "t")
    write(root, OLD)
    assert write(root, NEW, fault="commit:move:9") == -signal.SIGKILL
    # file://<folder> without a trailing slash is a folder too.
    assert sorted(ketch.read_parquet(f"file://{root}").to_pydict()["v"]) == NEW


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to itself")
def test_ctrl_c_during_a_write_keeps_the_old_data_and_leaves_no_staging(tmp_path, ctrl_c):
    from ketch import col

    root = str(tmp_path / "t")
    write(root, OLD)
    big = ketch.range(0, 10_000_000, partitions=2)
    small = ketch.range(0, 2_000).with_column_renamed("id", "id2")
    slow = big.join(small, how="cross").where(col("id") + col("id2") == -1)
    ctrl_c(0.5)
    with pytest.raises(KeyboardInterrupt):
        slow.write_parquet(root, write_mode="overwrite")
    assert sorted(ketch.read_parquet(root).to_pydict()["v"]) == OLD
    assert [f for f in os.listdir(root) if f.startswith(".")] == []
