from __future__ import annotations

import pyarrow as pa
import pytest

import ketch
from ketch import col, lit
from ketch.exceptions import DaftCoreException


@pytest.fixture
def df():
    return ketch.from_pydict(
        {"k": ["a", "b", "a", None, "b"], "v": [1, 2, 3, 4, None], "f": [0.5, 1.5, float("nan"), None, 2.5]}
    )


def parts(df, n=3):
    return df.repartition(n)


def test_select_with_kwargs_and_strings(df):
    out = df.select("k", col("v") * 10, doubled=col("v") * 2)
    assert out.column_names == ["k", "v", "doubled"]
    assert out.to_pydict()["doubled"] == [2, 4, 6, 8, None]


def test_with_column_replaces_in_place_and_appends(df):
    out = df.with_column("v", col("v") + 1).with_columns({"w": col("v") * 0, "z": lit("c")})
    assert out.column_names == ["k", "v", "f", "w", "z"]
    assert out.to_pydict()["v"] == [2, 3, 4, 5, None]
    assert out.to_pydict()["z"] == ["c"] * 5


def test_rename_and_exclude(df):
    out = df.with_column_renamed("k", "key").with_columns_renamed({"v": "value"}).exclude("f")
    assert out.column_names == ["key", "value"]
    with pytest.raises(DaftCoreException, match="available columns: k, v, f"):
        df.exclude("nope")


def test_filter_and_where(df):
    assert df.filter(col("v") > 1).to_pydict()["v"] == [2, 3, 4]
    assert df.where((col("k") == "a") & (col("v") > 1)).to_pydict()["v"] == [3]
    with pytest.raises(DaftCoreException, match="Boolean"):
        df.where(col("v")).collect()


def test_where_with_a_sql_predicate(df):
    assert df.where("v > 1 AND k = 'a'").to_pydict()["v"] == [3]
    assert df.filter("v IS NULL").to_pydict()["k"] == ["b"]
    with pytest.raises(DaftCoreException, match="nope"):
        df.where("nope > 1")
    with pytest.raises(DaftCoreException):
        df.where("v >")


def test_sort_nulls_follow_desc_by_default(df):
    assert df.sort("v").to_pydict()["v"] == [1, 2, 3, 4, None]
    assert df.sort("v", desc=True).to_pydict()["v"] == [None, 4, 3, 2, 1]
    assert df.sort("v", desc=True, nulls_first=False).to_pydict()["v"] == [4, 3, 2, 1, None]
    assert df.sort("v", nulls_first=True).to_pydict()["v"] == [None, 1, 2, 3, 4]
    out = df.sort(["k", "v"], desc=[False, True]).to_pydict()
    assert out["k"] == ["a", "a", "b", "b", None]
    assert out["v"] == [3, 1, None, 2, 4]


def test_limit_offset(df):
    s = df.sort("v")
    assert s.limit(2).to_pydict()["v"] == [1, 2]
    assert s.offset(3).to_pydict()["v"] == [4, None]
    assert s.offset(1).limit(2).to_pydict()["v"] == [2, 3]
    assert s.limit(0).to_pydict()["v"] == []


def test_distinct_family():
    d = ketch.from_pydict({"a": [1, 1, 2, None, None], "b": ["x", "x", "y", None, None]})
    expected = [(1, "x"), (2, "y"), (None, None)]
    for m in (d.distinct, d.unique, d.drop_duplicates):
        rows = m().to_pylist()
        assert sorted(((r["a"], r["b"]) for r in rows), key=str) == sorted(expected, key=str)
    assert sorted(d.distinct("a").to_pydict()["a"], key=str) == sorted([1, 2, None], key=str)


def test_drop_null_and_drop_nan(df):
    assert df.drop_null().to_pydict()["v"] == [1, 2, 3]
    assert df.drop_null("v").count_rows() == 4
    # As in Daft, drop_nan drops nulls in the float columns too.
    assert df.drop_nan("f").to_pydict()["f"] == [0.5, 1.5, 2.5]
    assert df.drop_nan().to_pydict()["f"] == [0.5, 1.5, 2.5]


def test_groupby_agg_matches_python(df):
    out = (
        df.groupby("k")
        .agg(
            col("v").sum().alias("s"),
            col("v").mean().alias("m"),
            col("v").count().alias("n"),
            col("v").min().alias("lo"),
            col("v").max().alias("hi"),
            col("v").count_distinct().alias("nd"),
            col("v").list_agg().alias("l"),
        )
        .sort("k")
    )
    assert [repr(f.dtype) for f in out.schema()] == [
        "String",
        "Int64",
        "Float64",
        "UInt64",
        "Int64",
        "Int64",
        "UInt64",
        "List[Int64]",
    ]
    got = out.to_pydict()
    assert got["k"] == ["a", "b", None]
    assert got["s"] == [4, 2, 4]
    assert got["m"] == [2.0, 2.0, 4.0]
    assert got["n"] == [2, 1, 1]
    assert got["lo"] == [1, 2, 4] and got["hi"] == [3, 2, 4]
    assert [sorted(x, key=str) for x in got["l"]] == [[1, 3], [2, None], [4]]


def test_groupby_on_several_partitions(df):
    out = parts(df).groupby("k").agg(col("v").sum()).sort("k").to_pydict()
    assert out == {"k": ["a", "b", None], "v": [4, 2, 4]}


def test_groupby_shortcuts(df):
    g = df.groupby("k")
    assert g.sum("v").sort("k").to_pydict()["v"] == [4, 2, 4]
    assert g.count("v").sort("k").to_pydict()["v"] == [2, 1, 1]
    assert g.max("v").sort("k").to_pydict()["v"] == [3, 2, 4]
    assert g.min("v").sort("k").to_pydict()["v"] == [1, 2, 4]
    assert g.mean("v").sort("k").to_pydict()["v"] == [2.0, 2.0, 4.0]
    assert set(g.any_value("v").sort("k").to_pydict()["v"][0:1]) <= {1, 3}


def test_global_agg_and_shortcuts(df):
    out = df.agg(col("v").sum().alias("s"), col("v").stddev().alias("sd"), col("v").var().alias("var")).to_pydict()
    import statistics

    assert out["s"] == [10]
    assert out["sd"][0] == pytest.approx(statistics.stdev([1, 2, 3, 4]))
    assert out["var"][0] == pytest.approx(statistics.variance([1, 2, 3, 4]))
    assert df.sum("v").to_pydict() == {"v": [10]}
    assert df.mean("v").to_pydict() == {"v": [2.5]}
    assert df.count().to_pydict() == {"count": [5]}
    assert df.count_rows() == 5 and len(df) == 5


def test_aggregation_inside_expression(df):
    out = df.agg((col("v").sum() / col("v").count()).alias("avg")).to_pydict()
    assert out == {"avg": [2.5]}


def test_agg_without_aggregation_is_an_error(df):
    with pytest.raises(DaftCoreException, match="no aggregation"):
        df.groupby("k").agg(col("v"))


def test_aggregations_on_empty_input():
    e = ketch.from_pydict({"k": pa.array([], pa.string()), "v": pa.array([], pa.int64())})
    assert e.groupby("k").agg(col("v").sum()).to_pydict() == {"k": [], "v": []}
    assert e.agg(col("v").sum(), col("v").count().alias("n")).to_pydict() == {"v": [None], "n": [0]}


@pytest.fixture
def lr():
    a = ketch.from_pydict({"k": [1, 2, None, 4], "v": ["a", "b", "c", "d"]})
    b = ketch.from_pydict({"k": [1, 3, None, 4], "v": ["B", "C", "D", "E"]})
    return a, b


def test_inner_join_merges_same_named_keys(lr):
    a, b = lr
    out = a.join(b, on="k").sort("k")
    assert out.column_names == ["k", "v", "right.v"]
    assert out.to_pydict() == {"k": [1, 4], "v": ["a", "d"], "right.v": ["B", "E"]}


def test_outer_right_left_semi_anti_joins(lr):
    a, b = lr
    assert a.join(b, on="k", how="outer").sort("k").to_pydict() == {
        "k": [1, 2, 3, 4, None, None],
        "v": ["a", "b", None, "d", None, "c"],
        "right.v": ["B", None, "C", "E", "D", None],
    }
    assert a.join(b, on="k", how="right").sort("k").to_pydict() == {
        "k": [1, 3, 4, None],
        "v": ["a", None, "d", None],
        "right.v": ["B", "C", "E", "D"],
    }
    assert a.join(b, on="k", how="left").sort("k").to_pydict() == {
        "k": [1, 2, 4, None],
        "v": ["a", "b", "d", "c"],
        "right.v": ["B", None, "E", None],
    }
    assert a.join(b, on="k", how="semi").sort("k").to_pydict() == {"k": [1, 4], "v": ["a", "d"]}
    assert a.join(b, on="k", how="anti").sort("k").to_pydict() == {"k": [2, None], "v": ["b", "c"]}


def test_merged_join_keys_come_first():
    left = ketch.from_pydict({"a": [1, 2], "b": ["x", "y"]})
    right = ketch.from_pydict({"b": ["x", "y"], "c": [10, 20]})
    out = left.join(right, on="b").sort("a")
    assert out.column_names == ["b", "a", "c"]
    assert out.to_pydict() == {"b": ["x", "y"], "a": [1, 2], "c": [10, 20]}


def test_cross_join_and_prefix_suffix(lr):
    a, b = lr
    c = a.join(b, how="cross")
    assert c.column_names == ["k", "v", "right.k", "right.v"]
    assert c.count_rows() == 16
    assert a.join(b, on="k", prefix="r_").column_names == ["k", "v", "r_v"]
    assert a.join(b, on="k", suffix="_r").column_names == ["k", "v", "v_r"]


def test_join_with_different_key_names_keeps_both(lr):
    a, b = lr
    b2 = b.with_column_renamed("k", "id")
    out = a.join(b2, left_on="k", right_on="id").sort("k")
    assert out.column_names == ["k", "v", "id", "right.v"]
    assert out.to_pydict()["id"] == [1, 4]


def test_join_across_partitions(lr):
    a, b = lr
    out = a.repartition(3).join(b.repartition(2), on="k").sort("k").to_pydict()
    assert out["k"] == [1, 4]


def test_join_errors(lr):
    a, b = lr
    with pytest.raises(DaftCoreException):
        a.join(b, on="nope").collect()
    with pytest.raises(ValueError, match="inner"):
        a.join(b, on="k", how="sideways")


def test_concat_and_set_operations():
    x = ketch.from_pydict({"a": [1, 2, 2, 3]})
    y = ketch.from_pydict({"a": [2, 3, 3, 4]})
    assert sorted(x.concat(y).to_pydict()["a"]) == [1, 2, 2, 2, 3, 3, 3, 4]
    assert sorted(x.union_all(y).to_pydict()["a"]) == [1, 2, 2, 2, 3, 3, 3, 4]
    assert sorted(x.union(y).to_pydict()["a"]) == [1, 2, 3, 4]
    assert sorted(x.intersect(y).to_pydict()["a"]) == [2, 3]
    assert sorted(x.except_distinct(y).to_pydict()["a"]) == [1]
    assert sorted(x.except_all(y).to_pydict()["a"]) == [1, 2]
    z = ketch.from_pydict({"b": ["q"], "a": [9]})
    assert x.union_by_name(z).sort("a").to_pydict() == {"a": [1, 2, 3, 9], "b": [None, None, None, "q"]}
    with pytest.raises(DaftCoreException):
        x.concat(z)


def test_explode_follows_daft_for_null_and_empty():
    e = ketch.from_pydict({"id": [1, 2, 3], "l": [[1, 2], [], None]})
    assert e.explode("l").to_pydict() == {"id": [1, 1, 2, 3], "l": [1, 2, None, None]}
    assert e.explode(col("l"), ignore_empty_and_null=True).to_pydict() == {"id": [1, 1], "l": [1, 2]}
    with pytest.raises(DaftCoreException, match="List"):
        e.explode("id")


def test_repartition_and_into_partitions_keep_every_row(df):
    expected = sorted([1, 2, 3, 4, None], key=str)
    assert sorted(df.repartition(3).to_pydict()["v"], key=str) == expected
    assert sorted(df.into_partitions(2).to_pydict()["v"], key=str) == expected
    assert sorted(df.repartition(4, "k").to_pydict()["v"], key=str) == expected
    assert sorted(df.repartition(None).to_pydict()["v"], key=str) == expected
    # The engine plans physical partitioning itself; the count is what it runs.
    assert df.repartition(3).num_partitions() >= 1
    with pytest.raises(ValueError):
        df.repartition(0)


def test_sample_fraction():
    r = ketch.range(10_000)
    n = r.sample(0.25).count_rows()
    assert 2000 < n < 3000
    assert r.sample(0.0).count_rows() == 0
    assert r.sample(1.0).count_rows() == 10_000


def test_collect_caches_and_outputs(df):
    c = df.collect()
    assert c is df
    assert df.to_pylist()[0] == {"k": "a", "v": 1, "f": 0.5}
    assert list(df)[1] == {"k": "b", "v": 2, "f": 1.5}
    assert [r["v"] for r in df.iter_rows()] == [1, 2, 3, 4, None]
    assert df.to_arrow().num_rows == 5
    assert sum(b.num_rows for b in df.to_arrow_iter()) == 5
    assert pa.table(df).num_rows == 5
    assert df.to_pandas().shape == (5, 3)


def test_streaming_iteration_of_a_lazy_plan():
    r = ketch.range(0, 100_000, partitions=4).where(col("id") % 2 == 0)
    with ketch.execution_config_ctx(default_morsel_size=1000):
        batches = list(r.to_arrow_iter())
    assert sum(b.num_rows for b in batches) == 50_000
    assert len(batches) > 1
    assert sum(b.column(0).to_pylist()[0] is not None for b in batches) == len(batches)


def test_dunder_access(df):
    assert "k" in df and "zz" not in df
    assert repr(df["v"]) == "col(v)"
    assert [repr(c) for c in df.columns] == ["col(k)", "col(v)", "col(f)"]
    with pytest.raises(DaftCoreException, match="Available columns: k, v, f"):
        df["zz"]


def test_operations_are_lazy():
    @ketch.func
    def strict_int(s: str) -> int:
        return int(s)

    bad = ketch.from_pydict({"s": ["1", "x"]}).select(strict_int(col("s")))
    # Building the plan runs nothing; the bad value fails only when the plan runs.
    with pytest.raises(DaftCoreException, match="'x'"):
        bad.collect()


def test_multiset_set_operations():
    x = ketch.from_pydict({"a": [1, 2, 2, 2, None, None]})
    y = ketch.from_pydict({"a": [2, 2, 3, None]})
    assert sorted(x.intersect_all(y).to_pydict()["a"], key=str) == sorted([2, 2, None], key=str)
    assert sorted(x.except_all(y).to_pydict()["a"], key=str) == sorted([1, 2, None], key=str)
    z = ketch.from_pydict({"b": [7], "a": [2]})
    out = x.union_all_by_name(z).to_pydict()
    assert len(out["a"]) == 7 and out["b"].count(7) == 1


def test_explain_prints_the_plans(df, capsys):
    q = df.where(col("v") > 1).select("k")
    assert q.explain() is None
    text = capsys.readouterr().out
    assert "Unoptimized Logical Plan" in text and "Filter" in text
    q.explain(show_all=True)
    text = capsys.readouterr().out
    assert "Optimized Logical Plan" in text and "Physical Plan" in text


def test_iter_partitions_yields_every_row():
    r = ketch.range(0, 10, partitions=2)
    assert sorted(v for b in r.iter_partitions() for v in b.column(0).to_pylist()) == list(range(10))


def test_from_arrow_accepts_any_arrow_stream():
    class Stream:
        def __init__(self, table):
            self.table = table

        def __arrow_c_stream__(self, requested_schema=None):
            return self.table.__arrow_c_stream__(requested_schema)

    assert ketch.from_arrow(Stream(pa.table({"x": [1, None]}))).to_pydict() == {"x": [1, None]}


def test_avg_is_mean(df):
    assert df.agg(col("v").avg()).to_pydict() == df.agg(col("v").mean()).to_pydict() == {"v": [2.5]}
