"""TPC-H queries 1, 3, 5, 6 and 10 in the DataFrame API, written the way Daft
users write them, so the same code runs on ``ketch`` and on ``daft``.

Each query takes ``get_df(table_name) -> DataFrame`` and the engine's ``col``
and returns a lazy DataFrame.
The substitution parameters are the TPC-H validation values.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

GetDF = Callable[[str], Any]


def q1(get_df: GetDF, col: Callable[[str], Any]):
    lineitem = get_df("lineitem")
    discounted_price = col("l_extendedprice") * (1 - col("l_discount"))
    taxed_discounted_price = discounted_price * (1 + col("l_tax"))
    return (
        lineitem.where(col("l_shipdate") <= datetime.date(1998, 9, 2))
        .groupby(col("l_returnflag"), col("l_linestatus"))
        .agg(
            col("l_quantity").sum().alias("sum_qty"),
            col("l_extendedprice").sum().alias("sum_base_price"),
            discounted_price.sum().alias("sum_disc_price"),
            taxed_discounted_price.sum().alias("sum_charge"),
            col("l_quantity").mean().alias("avg_qty"),
            col("l_extendedprice").mean().alias("avg_price"),
            col("l_discount").mean().alias("avg_disc"),
            col("l_quantity").count().alias("count_order"),
        )
        .sort(["l_returnflag", "l_linestatus"])
    )


def q3(get_df: GetDF, col: Callable[[str], Any]):
    customer = get_df("customer").where(col("c_mktsegment") == "BUILDING")
    orders = get_df("orders").where(col("o_orderdate") < datetime.date(1995, 3, 15))
    lineitem = get_df("lineitem").where(col("l_shipdate") > datetime.date(1995, 3, 15))
    return (
        customer.join(orders, left_on=col("c_custkey"), right_on=col("o_custkey"))
        .select(col("o_orderkey"), col("o_orderdate"), col("o_shippriority"))
        .join(lineitem, left_on=col("o_orderkey"), right_on=col("l_orderkey"))
        .select(
            col("o_orderkey"),
            (col("l_extendedprice") * (1 - col("l_discount"))).alias("volume"),
            col("o_orderdate"),
            col("o_shippriority"),
        )
        .groupby(col("o_orderkey"), col("o_orderdate"), col("o_shippriority"))
        .agg(col("volume").sum().alias("revenue"))
        .sort(by=["revenue", "o_orderdate"], desc=[True, False])
        .limit(10)
        .select("o_orderkey", "revenue", "o_orderdate", "o_shippriority")
    )


def q5(get_df: GetDF, col: Callable[[str], Any]):
    orders = get_df("orders").where(
        (col("o_orderdate") >= datetime.date(1994, 1, 1)) & (col("o_orderdate") < datetime.date(1995, 1, 1))
    )
    region = get_df("region").where(col("r_name") == "ASIA")
    nation, supplier = get_df("nation"), get_df("supplier")
    lineitem, customer = get_df("lineitem"), get_df("customer")
    return (
        region.join(nation, left_on=col("r_regionkey"), right_on=col("n_regionkey"))
        .join(supplier, left_on=col("n_nationkey"), right_on=col("s_nationkey"))
        .join(lineitem, left_on=col("s_suppkey"), right_on=col("l_suppkey"))
        .select(col("n_name"), col("l_extendedprice"), col("l_discount"), col("l_orderkey"), col("n_nationkey"))
        .join(orders, left_on=col("l_orderkey"), right_on=col("o_orderkey"))
        .join(customer, left_on=[col("o_custkey"), col("n_nationkey")], right_on=[col("c_custkey"), col("c_nationkey")])
        .select(col("n_name"), (col("l_extendedprice") * (1 - col("l_discount"))).alias("value"))
        .groupby(col("n_name"))
        .agg(col("value").sum().alias("revenue"))
        .sort(col("revenue"), desc=True)
    )


def q6(get_df: GetDF, col: Callable[[str], Any]):
    lineitem = get_df("lineitem")
    return lineitem.where(
        (col("l_shipdate") >= datetime.date(1994, 1, 1))
        & (col("l_shipdate") < datetime.date(1995, 1, 1))
        & (col("l_discount") >= 0.05)
        & (col("l_discount") <= 0.07)
        & (col("l_quantity") < 24)
    ).agg((col("l_extendedprice") * col("l_discount")).sum().alias("revenue"))


def q10(get_df: GetDF, col: Callable[[str], Any]):
    orders = get_df("orders").where(
        (col("o_orderdate") < datetime.date(1994, 1, 1)) & (col("o_orderdate") >= datetime.date(1993, 10, 1))
    )
    lineitem = get_df("lineitem").where(col("l_returnflag") == "R")
    customer, nation = get_df("customer"), get_df("nation")
    return (
        orders.join(customer, left_on=col("o_custkey"), right_on=col("c_custkey"))
        .join(nation, left_on=col("c_nationkey"), right_on=col("n_nationkey"))
        .join(lineitem, left_on=col("o_orderkey"), right_on=col("l_orderkey"))
        .select(
            col("o_custkey"),
            col("c_name"),
            (col("l_extendedprice") * (1 - col("l_discount"))).alias("volume"),
            col("c_acctbal"),
            col("n_name"),
            col("c_address"),
            col("c_phone"),
            col("c_comment"),
        )
        .groupby(
            col("o_custkey"),
            col("c_name"),
            col("c_acctbal"),
            col("c_phone"),
            col("n_name"),
            col("c_address"),
            col("c_comment"),
        )
        .agg(col("volume").sum().alias("revenue"))
        .sort(col("revenue"), desc=True)
        .select(
            col("o_custkey").alias("c_custkey"),
            col("c_name"),
            col("revenue"),
            col("c_acctbal"),
            col("n_name"),
            col("c_address"),
            col("c_phone"),
            col("c_comment"),
        )
        .limit(20)
    )


QUERIES = {1: q1, 3: q3, 5: q5, 6: q6, 10: q10}
