"""ketch.sql: the SQL surface Daft supports, on DataFusion's planner."""

from __future__ import annotations

import datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ketch
from ketch import col
from ketch.exceptions import InvalidSQLException


@pytest.fixture
def t():
    return ketch.from_pydict(
        {
            "id": [1, 2, 3, 4],
            "g": ["a", "a", "b", None],
            "v": [10.0, 20.0, 30.0, 40.0],
            "d": [datetime.date(2020, 1, 1)] * 4,
        }
    )


@pytest.fixture
def u():
    return ketch.from_pydict({"id": [2, 3, 5], "w": ["x", "y", "z"]})


def q(sql, **frames):
    return ketch.sql(sql, register_globals=False, **frames).to_pydict()


def test_dataframes_found_by_variable_name(t):
    frame = t.where(col("v") > 15)  # noqa: F841 - found by name in the SQL text
    assert ketch.sql("select id from frame order by id").to_pydict() == {"id": [2, 3, 4]}

    def inner():
        local_only = ketch.from_pydict({"x": [7]})  # noqa: F841 - found by name
        return ketch.sql("select x from local_only").to_pydict()

    assert inner() == {"x": [7]}
    with pytest.raises(InvalidSQLException, match="not found"):
        ketch.sql("select * from frame", register_globals=False)


def test_result_is_lazy_and_composes_with_the_dataframe_api(t, tmp_path):
    p = tmp_path / "x.parquet"
    pq.write_table(pa.table({"a": ["1", "x"]}), p)
    src = ketch.read_parquet(str(p))
    lazy = ketch.sql("select cast(a as bigint) as a from src", src=src)
    p.write_bytes(b"not a parquet file any more")  # the query reads the file only when run
    with pytest.raises(ketch.exceptions.DaftCoreException):
        lazy.collect()
    pq.write_table(pa.table({"a": ["1", "x"]}), p)
    assert lazy.to_pydict() == {"a": [1, None]}  # Daft's CAST: null where a value does not convert
    out = ketch.sql("select id, v * 2 as v2 from t", t=t).where(col("v2") > 50).sort("id")
    assert out.to_pydict() == {"id": [3, 4], "v2": [60.0, 80.0]}


def test_output_names_follow_daft(t):
    assert list(q("select v * 2, v + 1 as w, g from t", t=t)) == ["v", "w", "g"]
    assert list(q("select g, sum(v) from t group by g", t=t)) == ["g", "v"]
    assert list(q("select count(*) from t", t=t)) == ["count"]


def test_joins(t, u):
    assert q("select t.id, w from t join u on t.id = u.id order by t.id", t=t, u=u) == {"id": [2, 3], "w": ["x", "y"]}
    assert q("select t.id, w from t left join u on t.id = u.id order by t.id", t=t, u=u)["w"] == [None, "x", "y", None]
    assert q("select t.id, u.id as uid from t full join u on t.id = u.id order by 1, 2", t=t, u=u) == {
        "id": [1, 2, 3, 4, None],
        "uid": [None, 2, 3, None, 5],
    }
    assert q("select id, w from t join u using (id) order by id", t=t, u=u) == {"id": [2, 3], "w": ["x", "y"]}
    assert q("select count(*) as n from t cross join u", t=t, u=u) == {"n": [12]}
    assert q("select count(*) as n from t, u where t.id = u.id", t=t, u=u) == {"n": [2]}


def test_subqueries_and_set_operations(t, u):
    assert q("select id from t where v > (select avg(v) from t) order by id", t=t) == {"id": [3, 4]}
    assert q("select id from t where id in (select id from u) order by id", t=t, u=u) == {"id": [2, 3]}
    assert q("select id from t where exists (select 1 from u where u.id = t.id) order by id", t=t, u=u) == {
        "id": [2, 3]
    }
    assert q("select id from t union select id from u order by id", t=t, u=u) == {"id": [1, 2, 3, 4, 5]}
    assert q("select id from t union all select id from u order by id", t=t, u=u)["id"] == [1, 2, 2, 3, 3, 4, 5]
    assert q("select id from t intersect select id from u order by id", t=t, u=u) == {"id": [2, 3]}
    assert q("select id from t except select id from u order by id", t=t, u=u) == {"id": [1, 4]}


def test_ctes_windows_grouping_and_qualify(t):
    assert q("with c as (select v from t where v > 15) select sum(v) as s from c", t=t) == {"s": [90.0]}
    out = q(
        "select id, sum(v) over (partition by g order by id) as rs, row_number() over (order by v desc) as rn "
        "from t order by id",
        t=t,
    )
    assert out == {"id": [1, 2, 3, 4], "rs": [10.0, 30.0, 30.0, 40.0], "rn": [4, 3, 2, 1]}
    assert q("select g, sum(v) as s from t group by all order by 1", t=t) == {
        "g": ["a", "b", None],
        "s": [30.0, 30.0, 40.0],
    }
    assert q("select g, count(*) as n from t group by 1 order by 2 desc, 1", t=t) == {
        "g": ["a", "b", None],
        "n": [2, 1, 1],
    }
    assert q("select id from t qualify row_number() over (partition by g order by v desc) = 1 order by id", t=t) == {
        "id": [2, 3, 4]
    }


def test_literals_casts_and_case(t):
    out = q("select d + interval '1' month as m, d - interval '1' day as p from t limit 1", t=t)
    assert out == {"m": [datetime.date(2020, 2, 1)], "p": [datetime.date(2019, 12, 31)]}
    assert q("select count(*) as n from t where d = date '2020-01-01'", t=t) == {"n": [4]}
    out = q(
        "select cast(id as varchar) as s, v::int as i, cast('2020-02-03' as date) as dd from t order by id limit 1", t=t
    )
    assert out == {"s": ["1"], "i": [10], "dd": [datetime.date(2020, 2, 3)]}
    out = q("select case when v > 25 then 'hi' when v > 15 then 'mid' else 'lo' end as c from t order by id", t=t)
    assert out == {"c": ["lo", "mid", "hi", "hi"]}


def test_table_functions_read_files(tmp_path):
    pq.write_table(pa.table({"k": [2, 1]}), tmp_path / "a.parquet")
    (tmp_path / "b.csv").write_text("k,s\n1,x\n")
    (tmp_path / "c.jsonl").write_text('{"k": 5}\n')
    assert q(f"select * from read_parquet('{tmp_path}/*.parquet') order by k") == {"k": [1, 2]}
    assert q(f"select * from read_csv('{tmp_path / 'b.csv'}')") == {"k": [1], "s": ["x"]}
    assert q(f"select * from read_json('{tmp_path / 'c.jsonl'}')") == {"k": [5]}
    with pytest.raises(FileNotFoundError):
        q(f"select * from read_parquet('{tmp_path}/none*.parquet')")


def test_describe_show_tables_use_and_create_table(t):
    assert q("describe t", t=t)["column_name"] == ["id", "g", "v", "d"]
    sess = ketch.Session()
    sess.create_temp_table("numbers", ketch.from_pydict({"n": [1, 2, 3]}))
    shown = sess.sql("show tables").to_pydict()
    assert "numbers" in shown["table_name"]
    assert sess.sql("create temp table big as select n from numbers where n > 1") is None
    assert sess.sql("select * from big order by n").to_pydict() == {"n": [2, 3]}
    sess.attach_catalog(ketch.Catalog.from_pydict({"ns.z": {"q": [9]}}, name="cat"))
    assert sess.sql("use cat.ns") is None
    assert sess.current_namespace() == "ns"
    assert sess.sql("select q from z").to_pydict() == {"q": [9]}


def test_sql_expr_in_dataframe_methods(t):
    assert t.select(ketch.sql_expr("v + 1")).to_pydict()["v"] == [11.0, 21.0, 31.0, 41.0]
    assert t.where(ketch.sql_expr("g = 'a'")).to_pydict()["id"] == [1, 2]
    assert t.agg(ketch.sql_expr("sum(v)")).to_pydict() == {"v": [100.0]}
    assert t.with_column("z", ketch.sql_expr("id * 10")).to_pydict()["z"] == [10, 20, 30, 40]


def test_errors_say_where_and_what(t):
    with pytest.raises(InvalidSQLException) as e:
        q("select *\nfrom t wher id = 1", t=t)
    assert "Line: 2" in str(e.value) and "^" in str(e.value)
    with pytest.raises(InvalidSQLException, match=r"not found\. Tables that exist: t"):
        q("select * from nope", t=t)
    with pytest.raises(InvalidSQLException, match=r"Column 'zz' not found\. Available columns: id, g, v, d"):
        q("select zz from t", t=t)
    with pytest.raises(InvalidSQLException, match="Unsupported"):
        q("drop table t", t=t)
    with pytest.raises(InvalidSQLException, match="Unsupported"):
        q("select id, (select count(*) from t t2 where t2.id <= t.id) as c from t", t=t)
    with pytest.raises(TypeError):
        ketch.sql("select 1", x=3)
