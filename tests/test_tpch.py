"""TPC-H queries 1, 3, 5, 6 and 10 through ketch's DataFrame API, compared value
for value with DuckDB running the standard SQL on the same Parquet files
(scale factor 0.01, each table in 3 files)."""

from __future__ import annotations

import duckdb
import pytest

import ketch

from gen_tpch import TABLES, table_path
from reference import assert_rows_match
from tpch_queries import QUERIES

SQL = {
    1: """
        select l_returnflag, l_linestatus, sum(l_quantity) as sum_qty,
               sum(l_extendedprice) as sum_base_price,
               sum(l_extendedprice * (1 - l_discount)) as sum_disc_price,
               sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) as sum_charge,
               avg(l_quantity) as avg_qty, avg(l_extendedprice) as avg_price,
               avg(l_discount) as avg_disc, count(*) as count_order
        from lineitem where l_shipdate <= date '1998-12-01' - interval '90' day
        group by l_returnflag, l_linestatus order by l_returnflag, l_linestatus""",
    3: """
        select l_orderkey as o_orderkey, sum(l_extendedprice * (1 - l_discount)) as revenue,
               o_orderdate, o_shippriority
        from customer, orders, lineitem
        where c_mktsegment = 'BUILDING' and c_custkey = o_custkey and l_orderkey = o_orderkey
          and o_orderdate < date '1995-03-15' and l_shipdate > date '1995-03-15'
        group by l_orderkey, o_orderdate, o_shippriority
        order by revenue desc, o_orderdate limit 10""",
    5: """
        select n_name, sum(l_extendedprice * (1 - l_discount)) as revenue
        from customer, orders, lineitem, supplier, nation, region
        where c_custkey = o_custkey and l_orderkey = o_orderkey and l_suppkey = s_suppkey
          and c_nationkey = s_nationkey and s_nationkey = n_nationkey and n_regionkey = r_regionkey
          and r_name = 'ASIA' and o_orderdate >= date '1994-01-01' and o_orderdate < date '1995-01-01'
        group by n_name order by revenue desc""",
    6: """
        select sum(l_extendedprice * l_discount) as revenue from lineitem
        where l_shipdate >= date '1994-01-01' and l_shipdate < date '1995-01-01'
          and l_discount between 0.05 and 0.07 and l_quantity < 24""",
    10: """
        select c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) as revenue,
               c_acctbal, n_name, c_address, c_phone, c_comment
        from customer, orders, lineitem, nation
        where c_custkey = o_custkey and l_orderkey = o_orderkey
          and o_orderdate >= date '1993-10-01' and o_orderdate < date '1994-01-01'
          and l_returnflag = 'R' and c_nationkey = n_nationkey
        group by c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment
        order by revenue desc limit 20""",
}


@pytest.fixture(scope="module")
def duck(tpch_dir):
    con = duckdb.connect()
    for t in TABLES:
        path = table_path(tpch_dir, t)
        glob = path + "/*.parquet" if not path.endswith(".parquet") else path
        con.execute(f"create view {t} as select * from read_parquet('{glob}')")
    return con


@pytest.mark.parametrize("q", sorted(QUERIES))
def test_tpch_query_matches_duckdb(q, tpch_dir, duck):
    def get_df(table):
        return ketch.read_parquet(table_path(tpch_dir, table))

    got = QUERIES[q](get_df, ketch.col).to_pydict()
    cur = duck.execute(SQL[q])
    rows = cur.fetchall()
    assert rows, "the reference query returned no rows: the data set is too small to test this query"
    assert_rows_match(got, [d[0] for d in cur.description], rows)
