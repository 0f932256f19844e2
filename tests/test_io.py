from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import ketch
from ketch import DataType, col
from ketch.exceptions import DaftCoreException


@pytest.fixture
def pq_dir(tmp_path):
    for i in range(3):
        pq.write_table(
            pa.table({"a": [i * 10 + j for j in range(4)], "s": [f"r{i}{j}" for j in range(4)]}),
            tmp_path / f"part-{i}.parquet",
        )
    return tmp_path


def test_read_parquet_file_folder_glob_and_list(pq_dir):
    one = ketch.read_parquet(str(pq_dir / "part-0.parquet"))
    assert one.to_pydict()["a"] == [0, 1, 2, 3]
    folder = ketch.read_parquet(str(pq_dir))
    assert sorted(folder.to_pydict()["a"]) == sorted(pq.read_table(pq_dir).column("a").to_pylist())
    glob = ketch.read_parquet(str(pq_dir / "part-[12].parquet"))
    assert sorted(glob.to_pydict()["a"]) == [10, 11, 12, 13, 20, 21, 22, 23]
    lst = ketch.read_parquet([str(pq_dir / "part-0.parquet"), str(pq_dir / "part-2.parquet")])
    assert lst.count_rows() == 8


def test_read_parquet_schema_hints(pq_dir):
    df = ketch.read_parquet(str(pq_dir), schema={"a": DataType.float64()})
    assert df.schema()["a"].dtype == DataType.float64()
    assert df.schema()["s"].dtype == DataType.string()
    assert sorted(df.to_pydict()["a"])[:2] == [0.0, 1.0]


def test_file_path_column(pq_dir):
    df = ketch.read_parquet(str(pq_dir / "*.parquet"), file_path_column="path")
    out = df.to_pydict()
    assert df.column_names == ["a", "s", "path"]
    for a, p in zip(out["a"], out["path"]):
        assert p == str(pq_dir / f"part-{a // 10}.parquet")


def test_hive_partitioning(tmp_path):
    for year, vals in ((2020, [1, 2]), (2021, [3])):
        d = tmp_path / f"year={year}" / "country=fr"
        d.mkdir(parents=True)
        pq.write_table(pa.table({"v": vals}), d / "data.parquet")
    df = ketch.read_parquet(str(tmp_path / "**/*.parquet"), hive_partitioning=True)
    assert df.column_names == ["v", "year", "country"]
    assert df.schema()["year"].dtype == DataType.int64()
    out = df.sort("v").to_pydict()
    assert out == {"v": [1, 2, 3], "year": [2020, 2020, 2021], "country": ["fr", "fr", "fr"]}
    assert df.where(col("year") == 2021).to_pydict()["v"] == [3]
    both = ketch.read_parquet(str(tmp_path / "**/*.parquet"), hive_partitioning=True, file_path_column="f")
    assert both.sort("v").to_pydict()["year"] == [2020, 2020, 2021]


def test_read_csv_options(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a;b\n1;'x;y'\n# a comment\n2;'it''s'\n")
    df = ketch.read_csv(str(p), delimiter=";", quote="'", comment="#")
    assert df.to_pydict() == {"a": [1, 2], "b": ["x;y", "it's"]}
    q = tmp_path / "noheader.csv"
    q.write_text("1,x\n2,y\n")
    nh = ketch.read_csv(str(q), has_headers=False)
    assert nh.column_names == ["column_1", "column_2"]
    assert nh.to_pydict() == {"column_1": [1, 2], "column_2": ["x", "y"]}
    e = tmp_path / "esc.csv"
    e.write_text('a,b\n1,"say \\"hi\\""\n')
    assert ketch.read_csv(str(e), escape_char="\\", double_quote=False).to_pydict()["b"] == ['say "hi"']


def test_read_csv_schema_hint_and_reference(tmp_path):
    t = pa.table({"x": [1, 2, None], "y": ["a", "b", "c"]})
    pacsv.write_csv(t, tmp_path / "t.csv")
    df = ketch.read_csv(str(tmp_path / "t.csv"), schema={"x": DataType.float64()})
    assert df.schema()["x"].dtype == DataType.float64()
    assert df.to_pydict() == {"x": [1.0, 2.0, None], "y": ["a", "b", "c"]}


def test_read_json(tmp_path):
    p = tmp_path / "x.jsonl"
    rows = [{"a": 1, "b": "x"}, {"a": None, "b": "y"}, {"a": 3}]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    df = ketch.read_json(str(p))
    assert df.to_pydict() == {"a": [1, None, 3], "b": ["x", "y", None]}


def test_missing_paths_raise_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        ketch.read_parquet(str(tmp_path / "nothing-here" / "*.parquet"))
    with pytest.raises(FileNotFoundError):
        ketch.read_csv(str(tmp_path / "missing.csv"))
    with pytest.raises(FileNotFoundError):
        ketch.read_json([str(tmp_path / "missing.json")])


def test_corrupt_parquet_raises_core_exception(tmp_path):
    p = tmp_path / "bad.parquet"
    p.write_text("this is not parquet")
    with pytest.raises(DaftCoreException, match="(?i)parquet"):
        ketch.read_parquet(str(p)).collect()


def test_write_parquet_returns_paths_and_round_trips(tmp_path):
    df = ketch.from_pydict({"a": [1, 2, 3], "b": ["x", "y", None]})
    written = df.write_parquet(str(tmp_path / "out"))
    paths = written.to_pydict()["path"]
    assert written.column_names == ["path"]
    assert paths and all(os.path.exists(p) and p.endswith(".parquet") for p in paths)
    back = pq.read_table(paths).sort_by("a")
    assert back.to_pydict() == {"a": [1, 2, 3], "b": ["x", "y", None]}
    assert ketch.read_parquet(str(tmp_path / "out")).sort("a").to_pydict() == back.to_pydict()


def test_write_modes_append_and_overwrite(tmp_path):
    root = str(tmp_path / "out")
    ketch.from_pydict({"a": [1]}).write_parquet(root)
    ketch.from_pydict({"a": [2]}).write_parquet(root, write_mode="append")
    assert sorted(ketch.read_parquet(root).to_pydict()["a"]) == [1, 2]
    ketch.from_pydict({"a": [3]}).write_parquet(root, write_mode="overwrite")
    assert ketch.read_parquet(root).to_pydict()["a"] == [3]
    with pytest.raises(ValueError, match="mode. replace is unsupported"):
        ketch.from_pydict({"a": [3]}).write_parquet(root, write_mode="replace")


def test_partitioned_write_hive_layout(tmp_path):
    df = ketch.from_pydict({"k": [1, 2, 1], "v": ["a", "b", "c"]})
    written = df.write_parquet(str(tmp_path / "p"), partition_cols=["k"]).to_pydict()
    assert sorted(written["k"]) == [1, 2]
    assert all(f"k={k}" in p for p, k in zip(written["path"], written["k"]))
    back = ketch.read_parquet(str(tmp_path / "p" / "**/*.parquet"), hive_partitioning=True)
    assert sorted(zip(*back.select("k", "v").to_pydict().values())) == [(1, "a"), (1, "c"), (2, "b")]
    ketch.from_pydict({"k": [2], "v": ["z"]}).write_parquet(
        str(tmp_path / "p"), partition_cols=["k"], write_mode="overwrite-partitions"
    )
    back = ketch.read_parquet(str(tmp_path / "p" / "**/*.parquet"), hive_partitioning=True)
    assert sorted(zip(*back.select("k", "v").to_pydict().values())) == [(1, "a"), (1, "c"), (2, "z")]


def test_failed_write_leaves_existing_data(tmp_path):
    root = str(tmp_path / "out")
    ketch.from_pydict({"s": ["1", "2"]}).write_parquet(root)
    before = sorted(os.listdir(root))

    @ketch.func
    def strict_int(s: str) -> int:
        return int(s)

    bad = ketch.from_pydict({"s": ["3", "x"]}).select(strict_int(col("s")))
    with pytest.raises(DaftCoreException, match="strict_int"):
        bad.write_parquet(root, write_mode="overwrite")
    assert sorted(os.listdir(root)) == before
    assert sorted(ketch.read_parquet(root).to_pydict()["s"]) == ["1", "2"]


def test_write_csv_and_json_round_trip(tmp_path):
    df = ketch.from_pydict({"a": [1, 2], "b": ["x", "y"]})
    csv_paths = df.write_csv(str(tmp_path / "c")).to_pydict()["path"]
    assert pacsv.read_csv(csv_paths[0]).to_pydict() == {"a": [1, 2], "b": ["x", "y"]}
    json_paths = df.write_json(str(tmp_path / "j")).to_pydict()["path"]
    lines = [json.loads(x) for p in json_paths for x in open(p)]
    assert sorted(lines, key=lambda r: r["a"]) == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert ketch.read_csv(str(tmp_path / "c")).sort("a").to_pydict() == {"a": [1, 2], "b": ["x", "y"]}


def test_write_paths_names_and_success_file_as_daft(tmp_path, monkeypatch):
    """Paths come back as Daft gives them (the root as written, `<uuid>-<n>`
    names), `_SUCCESS` when asked, one exact file with `single_file`."""
    import re

    import daft

    monkeypatch.chdir(tmp_path)
    df = {"a": [1, 2, 3], "p": ["x", "y", "x"]}
    for mod in (ketch, daft):
        out = mod.from_pydict(df).write_parquet(f"{mod.__name__}-rel", write_success_file=True).to_pydict()["path"]
        assert len(out) == 1 and re.fullmatch(rf"{mod.__name__}-rel/[0-9a-f-]{{36}}-0\.parquet", out[0]), out
        assert (tmp_path / f"{mod.__name__}-rel" / "_SUCCESS").read_bytes() == b""
        url = mod.from_pydict(df).write_parquet(f"file://{tmp_path}/{mod.__name__}-url").to_pydict()["path"]
        assert url[0].startswith(f"{tmp_path}/{mod.__name__}-url/")
        hive = mod.from_pydict(df).write_parquet(f"{mod.__name__}-hive", partition_cols=["p"]).to_pydict()
        assert sorted(hive["p"]) == ["x", "y"]
        assert all(p.startswith(f"{mod.__name__}-hive/p={v}/") for p, v in zip(hive["path"], hive["p"]))
        single = mod.from_pydict(df).write_parquet(f"{mod.__name__}-one.parquet", single_file=True).to_pydict()
        assert single == {"path": [f"{mod.__name__}-one.parquet"]}
        assert pq.read_table(f"{mod.__name__}-one.parquet").to_pydict() == df
    for kw, msg in [
        (dict(single_file=True, partition_cols=["p"]), "cannot be combined with `partition_cols`"),
        (dict(single_file=True, write_mode="overwrite-partitions"), "cannot be combined with `write_mode"),
        (dict(write_mode="overwrite-partitions"), "Partition columns must be specified"),
    ]:
        with pytest.raises(ValueError, match=msg):
            ketch.from_pydict(df).write_parquet("never", **kw)
    assert not os.path.exists("never")


def test_write_file_and_row_group_sizes_follow_execution_config(tmp_path):
    """parquet_target_filesize x parquet_inflation_factor of in-memory data
    per file, parquet_target_row_group_size likewise per row group; the files
    hold every row once, in order."""
    n = 10_000
    df = ketch.from_pydict({"a": list(range(n))})  # 8 bytes a row in memory
    with ketch.execution_config_ctx(
        parquet_target_filesize=20_000, parquet_inflation_factor=1.0, parquet_target_row_group_size=4_000
    ):
        paths = df.write_parquet(str(tmp_path / "sized")).to_pydict()["path"]
    assert len(paths) == n * 8 // 20_000
    assert [int(p.rsplit("-", 1)[1].split(".")[0]) for p in paths] == list(range(len(paths)))
    files = [pq.ParquetFile(p) for p in paths]
    assert all(f.metadata.num_rows == 2_500 for f in files)
    assert all(f.metadata.row_group(i).num_rows == 500 for f in files for i in range(f.metadata.num_row_groups))
    assert [v for p in paths for v in pq.read_table(p).column("a").to_pylist()] == list(range(n))
    with ketch.execution_config_ctx(csv_target_filesize=40_000, csv_inflation_factor=1.0):
        assert len(df.write_csv(str(tmp_path / "csv")).to_pydict()["path"]) == 2
    with pytest.raises(ValueError, match="parquet_target_filesize must be a positive int"):
        ketch.set_execution_config(parquet_target_filesize=0)


def test_write_compression_and_csv_options(tmp_path):
    df = ketch.from_pydict({"a": [1, 2], "b": ["x,1", "y"]})
    path = df.write_parquet(str(tmp_path / "z"), compression="zstd", column_compression={"b": "gzip"})
    meta = pq.ParquetFile(path.to_pydict()["path"][0]).metadata.row_group(0)
    assert (meta.column(0).compression, meta.column(1).compression) == ("ZSTD", "GZIP")
    csv = df.write_csv(str(tmp_path / "c"), delimiter=";", header=False).to_pydict()["path"][0]
    assert open(csv).read().splitlines() == ["1;x,1", "2;y"]


@pytest.mark.parametrize(
    "kw", [{}, {"skip_blank_lines": False}, {"whole_text": True}, {"file_path_column": "f"}], ids=repr
)
def test_read_text_matches_daft(tmp_path, kw):
    import daft

    (tmp_path / "k=1").mkdir()
    (tmp_path / "one.txt").write_bytes(b"a\r\n\nb\n  \nc")
    (tmp_path / "k=1" / "two.txt").write_bytes("x\ny é\n\n".encode())
    (tmp_path / "empty.txt").write_bytes(b"")
    pattern = str(tmp_path / "**")
    ours, theirs = ketch.read_text(pattern, **kw), daft.read_text(pattern, **kw)
    assert ours.schema().column_names() == theirs.schema().column_names()
    assert repr(ours.schema()["text"].dtype) == "String"
    assert sorted(ours.to_pydict()["text"]) == sorted(theirs.to_pydict()["text"])
    if "file_path_column" in kw:
        assert sorted(ours.to_pydict()["f"]) == sorted(str(tmp_path / p) for p in ["one.txt"] * 3 + ["k=1/two.txt"] * 2)


def test_read_text_errors(tmp_path):
    (tmp_path / "bad.txt").write_bytes(b"ok\n\xff\xfe\n")
    with pytest.raises(DaftCoreException, match="(?i)utf-?8"):
        ketch.read_text(str(tmp_path / "bad.txt")).collect()
    with pytest.raises(DaftCoreException, match="Unsupported text encoding: latin-1"):
        ketch.read_text(str(tmp_path / "bad.txt"), encoding="latin-1")
    with pytest.raises(FileNotFoundError, match="missing"):
        ketch.read_text(str(tmp_path / "missing*.txt"))


def test_streams_and_writes_keep_row_order(tmp_path):
    """Batches of several partitions come back (and are written) in the
    DataFrame's order, as collect gives them, every time."""
    n = 50_000
    with ketch.execution_config_ctx(default_morsel_size=1_000):
        df = ketch.from_pydict({"a": list(range(n))}).into_partitions(4)
        for i in range(5):
            assert [v for b in df.to_arrow_iter() for v in b.column(0).to_pylist()] == list(range(n))
            paths = df.write_parquet(str(tmp_path / f"w{i}")).to_pydict()["path"]
            assert [v for p in paths for v in pq.read_table(p).column("a").to_pylist()] == list(range(n))


def test_empty_write_leaves_one_file_with_the_schema(tmp_path):
    """As Daft: no rows still write one file (the schema), none per partition."""
    import daft

    for mod in (ketch, daft):
        df = mod.from_pydict({"a": [1, 2], "p": ["x", "y"]}).where(mod.col("a") > 5)
        paths = df.write_parquet(str(tmp_path / mod.__name__)).to_pydict()["path"]
        assert len(paths) == 1 and pq.read_table(paths[0]).num_rows == 0
        assert pq.read_table(paths[0]).schema.names == ["a", "p"]
        hive = df.write_parquet(str(tmp_path / f"{mod.__name__}-hive"), partition_cols=["p"]).to_pydict()
        assert hive == {"path": [], "p": []}
    assert ketch.read_parquet(str(tmp_path / "ketch")).to_pydict() == {"a": [], "p": []}


@pytest.mark.parametrize("ignore", [False, True])
def test_write_json_null_fields_as_daft(tmp_path, ignore):
    import daft

    data = {"a": [1, None], "b": ["x", None], "c": [[1, None], None]}
    texts = []
    for mod in (ketch, daft):
        paths = mod.from_pydict(data).write_json(str(tmp_path / mod.__name__), ignore_null_fields=ignore)
        texts.append(open(paths.to_pydict()["path"][0]).read())
    assert texts[0] == texts[1]
