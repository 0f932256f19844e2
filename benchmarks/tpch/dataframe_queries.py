"""The 22 TPC-H queries in the DataFrame API, written the way Daft users write
them, so the very same code runs on ``daft`` and on ``ketch``.

Each query takes ``get_df(table) -> DataFrame`` and the engine module (``daft``
or ``ketch``) and returns a lazy DataFrame whose columns are, in order, those of
the standard SQL text in ``queries/qNN.sql`` (validation parameters).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

GetDF = Callable[[str], Any]


def q1(get_df: GetDF, daft: Any):
    col = daft.col
    discounted_price = col("l_extendedprice") * (1 - col("l_discount"))
    taxed_discounted_price = discounted_price * (1 + col("l_tax"))
    return (
        get_df("lineitem")
        .where(col("l_shipdate") <= date(1998, 9, 2))
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


def q2(get_df: GetDF, daft: Any):
    col = daft.col
    region = get_df("region").where(col("r_name") == "EUROPE")
    part = get_df("part").where((col("p_size") == 15) & col("p_type").endswith("BRASS"))
    europe = (
        region.join(get_df("nation"), left_on=col("r_regionkey"), right_on=col("n_regionkey"))
        .join(get_df("supplier"), left_on=col("n_nationkey"), right_on=col("s_nationkey"))
        .join(get_df("partsupp"), left_on=col("s_suppkey"), right_on=col("ps_suppkey"))
    )
    brass = part.join(europe, left_on=col("p_partkey"), right_on=col("ps_partkey"))
    min_cost = brass.groupby(col("p_partkey")).agg(col("ps_supplycost").min().alias("min_cost"))
    return (
        brass.join(min_cost, on="p_partkey")
        .where(col("ps_supplycost") == col("min_cost"))
        .select("s_acctbal", "s_name", "n_name", "p_partkey", "p_mfgr", "s_address", "s_phone", "s_comment")
        .sort(["s_acctbal", "n_name", "s_name", "p_partkey"], desc=[True, False, False, False])
        .limit(100)
    )


def q3(get_df: GetDF, daft: Any):
    col = daft.col
    customer = get_df("customer").where(col("c_mktsegment") == "BUILDING")
    orders = get_df("orders").where(col("o_orderdate") < date(1995, 3, 15))
    lineitem = get_df("lineitem").where(col("l_shipdate") > date(1995, 3, 15))
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


def q4(get_df: GetDF, daft: Any):
    col = daft.col
    orders = get_df("orders").where((col("o_orderdate") >= date(1993, 7, 1)) & (col("o_orderdate") < date(1993, 10, 1)))
    lineitem = get_df("lineitem").where(col("l_commitdate") < col("l_receiptdate"))
    return (
        orders.join(lineitem, left_on=col("o_orderkey"), right_on=col("l_orderkey"), how="semi")
        .groupby(col("o_orderpriority"))
        .agg(col("o_orderkey").count().alias("order_count"))
        .sort(col("o_orderpriority"))
    )


def q5(get_df: GetDF, daft: Any):
    col = daft.col
    orders = get_df("orders").where((col("o_orderdate") >= date(1994, 1, 1)) & (col("o_orderdate") < date(1995, 1, 1)))
    region = get_df("region").where(col("r_name") == "ASIA")
    return (
        region.join(get_df("nation"), left_on=col("r_regionkey"), right_on=col("n_regionkey"))
        .join(get_df("supplier"), left_on=col("n_nationkey"), right_on=col("s_nationkey"))
        .join(get_df("lineitem"), left_on=col("s_suppkey"), right_on=col("l_suppkey"))
        .select(col("n_name"), col("l_extendedprice"), col("l_discount"), col("l_orderkey"), col("n_nationkey"))
        .join(orders, left_on=col("l_orderkey"), right_on=col("o_orderkey"))
        .join(
            get_df("customer"),
            left_on=[col("o_custkey"), col("n_nationkey")],
            right_on=[col("c_custkey"), col("c_nationkey")],
        )
        .select(col("n_name"), (col("l_extendedprice") * (1 - col("l_discount"))).alias("value"))
        .groupby(col("n_name"))
        .agg(col("value").sum().alias("revenue"))
        .sort(col("revenue"), desc=True)
    )


def q6(get_df: GetDF, daft: Any):
    col = daft.col
    return (
        get_df("lineitem")
        .where(
            (col("l_shipdate") >= date(1994, 1, 1))
            & (col("l_shipdate") < date(1995, 1, 1))
            & (col("l_discount") >= 0.05)
            & (col("l_discount") <= 0.07)
            & (col("l_quantity") < 24)
        )
        .agg((col("l_extendedprice") * col("l_discount")).sum().alias("revenue"))
    )


def q7(get_df: GetDF, daft: Any):
    col = daft.col
    lineitem = get_df("lineitem").where(
        (col("l_shipdate") >= date(1995, 1, 1)) & (col("l_shipdate") <= date(1996, 12, 31))
    )
    nation = get_df("nation").where((col("n_name") == "FRANCE") | (col("n_name") == "GERMANY"))
    supp_nation = (
        nation.join(get_df("supplier"), left_on=col("n_nationkey"), right_on=col("s_nationkey"))
        .join(lineitem, left_on=col("s_suppkey"), right_on=col("l_suppkey"))
        .select(
            col("n_name").alias("supp_nation"),
            col("l_orderkey"),
            col("l_extendedprice"),
            col("l_discount"),
            col("l_shipdate"),
        )
    )
    return (
        nation.join(get_df("customer"), left_on=col("n_nationkey"), right_on=col("c_nationkey"))
        .join(get_df("orders"), left_on=col("c_custkey"), right_on=col("o_custkey"))
        .select(col("n_name").alias("cust_nation"), col("o_orderkey"))
        .join(supp_nation, left_on=col("o_orderkey"), right_on=col("l_orderkey"))
        .where(
            ((col("supp_nation") == "FRANCE") & (col("cust_nation") == "GERMANY"))
            | ((col("supp_nation") == "GERMANY") & (col("cust_nation") == "FRANCE"))
        )
        .select(
            col("supp_nation"),
            col("cust_nation"),
            col("l_shipdate").year().alias("l_year"),
            (col("l_extendedprice") * (1 - col("l_discount"))).alias("volume"),
        )
        .groupby(col("supp_nation"), col("cust_nation"), col("l_year"))
        .agg(col("volume").sum().alias("revenue"))
        .sort(["supp_nation", "cust_nation", "l_year"])
    )


def q8(get_df: GetDF, daft: Any):
    col, when = daft.col, daft.functions.when
    region = get_df("region").where(col("r_name") == "AMERICA")
    orders = get_df("orders").where(
        (col("o_orderdate") <= date(1996, 12, 31)) & (col("o_orderdate") >= date(1995, 1, 1))
    )
    part = get_df("part").where(col("p_type") == "ECONOMY ANODIZED STEEL")
    nation = get_df("nation")
    nat = nation.join(get_df("supplier"), left_on=col("n_nationkey"), right_on=col("s_nationkey"))
    line = (
        get_df("lineitem")
        .select(
            col("l_partkey"),
            col("l_suppkey"),
            col("l_orderkey"),
            (col("l_extendedprice") * (1 - col("l_discount"))).alias("volume"),
        )
        .join(part, left_on=col("l_partkey"), right_on=col("p_partkey"))
        .join(nat, left_on=col("l_suppkey"), right_on=col("s_suppkey"))
    )
    return (
        nation.join(region, left_on=col("n_regionkey"), right_on=col("r_regionkey"))
        .select(col("n_nationkey"))
        .join(get_df("customer"), left_on=col("n_nationkey"), right_on=col("c_nationkey"))
        .select(col("c_custkey"))
        .join(orders, left_on=col("c_custkey"), right_on=col("o_custkey"))
        .select(col("o_orderkey"), col("o_orderdate"))
        .join(line, left_on=col("o_orderkey"), right_on=col("l_orderkey"))
        .select(
            col("o_orderdate").year().alias("o_year"),
            col("volume"),
            when(col("n_name") == "BRAZIL", col("volume")).otherwise(0.0).alias("case_volume"),
        )
        .groupby(col("o_year"))
        .agg(col("case_volume").sum().alias("case_volume_sum"), col("volume").sum().alias("volume_sum"))
        .select(col("o_year"), (col("case_volume_sum") / col("volume_sum")).alias("mkt_share"))
        .sort(col("o_year"))
    )


def q9(get_df: GetDF, daft: Any):
    col = daft.col
    part = get_df("part").where(col("p_name").contains("green"))
    linepart = part.join(get_df("lineitem"), left_on=col("p_partkey"), right_on=col("l_partkey"))
    natsup = get_df("nation").join(get_df("supplier"), left_on=col("n_nationkey"), right_on=col("s_nationkey"))
    return (
        linepart.join(natsup, left_on=col("l_suppkey"), right_on=col("s_suppkey"))
        .join(
            get_df("partsupp"),
            left_on=[col("l_suppkey"), col("p_partkey")],
            right_on=[col("ps_suppkey"), col("ps_partkey")],
        )
        .join(get_df("orders"), left_on=col("l_orderkey"), right_on=col("o_orderkey"))
        .select(
            col("n_name").alias("nation"),
            col("o_orderdate").year().alias("o_year"),
            (col("l_extendedprice") * (1 - col("l_discount")) - col("ps_supplycost") * col("l_quantity")).alias(
                "amount"
            ),
        )
        .groupby(col("nation"), col("o_year"))
        .agg(col("amount").sum().alias("sum_profit"))
        .sort(["nation", "o_year"], desc=[False, True])
    )


def q10(get_df: GetDF, daft: Any):
    col = daft.col
    orders = get_df("orders").where((col("o_orderdate") < date(1994, 1, 1)) & (col("o_orderdate") >= date(1993, 10, 1)))
    lineitem = get_df("lineitem").where(col("l_returnflag") == "R")
    return (
        orders.join(get_df("customer"), left_on=col("o_custkey"), right_on=col("c_custkey"))
        .join(get_df("nation"), left_on=col("c_nationkey"), right_on=col("n_nationkey"))
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


def q11(get_df: GetDF, daft: Any):
    col, lit = daft.col, daft.lit
    german = (
        get_df("partsupp")
        .join(get_df("supplier"), left_on=col("ps_suppkey"), right_on=col("s_suppkey"))
        .join(get_df("nation"), left_on=col("s_nationkey"), right_on=col("n_nationkey"))
        .where(col("n_name") == "GERMANY")
    )
    threshold = german.agg((col("ps_supplycost") * col("ps_availqty")).sum().alias("total")).select(
        (col("total") * 0.0001).alias("threshold"), lit(1).alias("lit")
    )
    return (
        german.groupby(col("ps_partkey"))
        .agg((col("ps_supplycost") * col("ps_availqty")).sum().alias("value"))
        .with_column("lit", lit(1))
        .join(threshold, on="lit")
        .where(col("value") > col("threshold"))
        .select(col("ps_partkey"), col("value"))
        .sort(col("value"), desc=True)
    )


def q12(get_df: GetDF, daft: Any):
    col, when = daft.col, daft.functions.when
    urgent = col("o_orderpriority").is_in(["1-URGENT", "2-HIGH"])
    return (
        get_df("orders")
        .join(get_df("lineitem"), left_on=col("o_orderkey"), right_on=col("l_orderkey"))
        .where(
            col("l_shipmode").is_in(["MAIL", "SHIP"])
            & (col("l_commitdate") < col("l_receiptdate"))
            & (col("l_shipdate") < col("l_commitdate"))
            & (col("l_receiptdate") >= date(1994, 1, 1))
            & (col("l_receiptdate") < date(1995, 1, 1))
        )
        .groupby(col("l_shipmode"))
        .agg(
            when(urgent, 1).otherwise(0).sum().alias("high_line_count"),
            when(~urgent, 1).otherwise(0).sum().alias("low_line_count"),
        )
        .sort(col("l_shipmode"))
    )


def q13(get_df: GetDF, daft: Any):
    col = daft.col
    orders = get_df("orders").where(~col("o_comment").regexp("special.*requests"))
    return (
        get_df("customer")
        .join(orders, left_on=col("c_custkey"), right_on=col("o_custkey"), how="left")
        .groupby(col("c_custkey"))
        .agg(col("o_orderkey").count().alias("c_count"))
        .groupby(col("c_count"))
        .agg(col("c_custkey").count().alias("custdist"))
        .sort(["custdist", "c_count"], desc=[True, True])
    )


def q14(get_df: GetDF, daft: Any):
    col, when = daft.col, daft.functions.when
    revenue = col("l_extendedprice") * (1 - col("l_discount"))
    return (
        get_df("lineitem")
        .join(get_df("part"), left_on=col("l_partkey"), right_on=col("p_partkey"))
        .where((col("l_shipdate") >= date(1995, 9, 1)) & (col("l_shipdate") < date(1995, 10, 1)))
        .agg(
            when(col("p_type").startswith("PROMO"), revenue).otherwise(0.0).sum().alias("promo"),
            revenue.sum().alias("total"),
        )
        .select((100.0 * col("promo") / col("total")).alias("promo_revenue"))
    )


def q15(get_df: GetDF, daft: Any):
    col, lit = daft.col, daft.lit
    revenue = (
        get_df("lineitem")
        .where((col("l_shipdate") >= date(1996, 1, 1)) & (col("l_shipdate") < date(1996, 4, 1)))
        .groupby(col("l_suppkey"))
        .agg((col("l_extendedprice") * (1 - col("l_discount"))).sum().alias("total_revenue"))
        .select(col("l_suppkey").alias("supplier_no"), col("total_revenue"))
    )
    # The revenue is summed twice (once for the maximum), in whatever order the
    # partitions finish: match the maximum within float rounding, not exactly.
    top = revenue.agg(col("total_revenue").max().alias("max_revenue")).with_column("lit", lit(1))
    return (
        get_df("supplier")
        .join(revenue, left_on=col("s_suppkey"), right_on=col("supplier_no"))
        .with_column("lit", lit(1))
        .join(top, on="lit")
        .where(col("total_revenue") >= col("max_revenue") * (1 - 1e-9))
        .select("s_suppkey", "s_name", "s_address", "s_phone", "total_revenue")
        .sort("s_suppkey")
    )


def q16(get_df: GetDF, daft: Any):
    col = daft.col
    complaints = get_df("supplier").where(col("s_comment").regexp("Customer.*Complaints"))
    part = get_df("part").where(
        (col("p_brand") != "Brand#45")
        & ~col("p_type").startswith("MEDIUM POLISHED")
        & col("p_size").is_in([49, 14, 23, 45, 19, 3, 36, 9])
    )
    return (
        get_df("partsupp")
        .join(part, left_on=col("ps_partkey"), right_on=col("p_partkey"))
        .join(complaints, left_on=col("ps_suppkey"), right_on=col("s_suppkey"), how="anti")
        .groupby(col("p_brand"), col("p_type"), col("p_size"))
        .agg(col("ps_suppkey").count_distinct().alias("supplier_cnt"))
        .sort(["supplier_cnt", "p_brand", "p_type", "p_size"], desc=[True, False, False, False])
    )


def q17(get_df: GetDF, daft: Any):
    col = daft.col
    lineitem = get_df("lineitem")
    part = get_df("part").where((col("p_brand") == "Brand#23") & (col("p_container") == "MED BOX"))
    avg_quantity = lineitem.groupby(col("l_partkey")).agg(col("l_quantity").mean().alias("avg_quantity"))
    return (
        part.join(lineitem, left_on=col("p_partkey"), right_on=col("l_partkey"))
        .join(avg_quantity, left_on=col("p_partkey"), right_on=col("l_partkey"))
        .where(col("l_quantity") < 0.2 * col("avg_quantity"))
        .agg(col("l_extendedprice").sum().alias("total"))
        .select((col("total") / 7.0).alias("avg_yearly"))
    )


def q18(get_df: GetDF, daft: Any):
    col = daft.col
    lineitem = get_df("lineitem")
    big_orders = (
        lineitem.groupby(col("l_orderkey")).agg(col("l_quantity").sum().alias("total")).where(col("total") > 300)
    )
    return (
        get_df("orders")
        .join(big_orders, left_on=col("o_orderkey"), right_on=col("l_orderkey"), how="semi")
        .join(get_df("customer"), left_on=col("o_custkey"), right_on=col("c_custkey"))
        .join(lineitem, left_on=col("o_orderkey"), right_on=col("l_orderkey"))
        .groupby(col("c_name"), col("o_custkey"), col("o_orderkey"), col("o_orderdate"), col("o_totalprice"))
        .agg(col("l_quantity").sum().alias("sum_qty"))
        .select("c_name", col("o_custkey").alias("c_custkey"), "o_orderkey", "o_orderdate", "o_totalprice", "sum_qty")
        .sort(["o_totalprice", "o_orderdate"], desc=[True, False])
        .limit(100)
    )


def q19(get_df: GetDF, daft: Any):
    col = daft.col

    def brand(name, containers, low, size):
        return (
            (col("p_brand") == name)
            & col("p_container").is_in(containers)
            & (col("l_quantity") >= low)
            & (col("l_quantity") <= low + 10)
            & (col("p_size") >= 1)
            & (col("p_size") <= size)
        )

    return (
        get_df("lineitem")
        .join(get_df("part"), left_on=col("l_partkey"), right_on=col("p_partkey"))
        .where(
            col("l_shipmode").is_in(["AIR", "AIR REG"])
            & (col("l_shipinstruct") == "DELIVER IN PERSON")
            & (
                brand("Brand#12", ["SM CASE", "SM BOX", "SM PACK", "SM PKG"], 1, 5)
                | brand("Brand#23", ["MED BAG", "MED BOX", "MED PKG", "MED PACK"], 10, 10)
                | brand("Brand#34", ["LG CASE", "LG BOX", "LG PACK", "LG PKG"], 20, 15)
            )
        )
        .agg((col("l_extendedprice") * (1 - col("l_discount"))).sum().alias("revenue"))
    )


def q20(get_df: GetDF, daft: Any):
    col = daft.col
    shipped = (
        get_df("lineitem")
        .where((col("l_shipdate") >= date(1994, 1, 1)) & (col("l_shipdate") < date(1995, 1, 1)))
        .groupby(col("l_partkey"), col("l_suppkey"))
        .agg(col("l_quantity").sum().alias("qty"))
    )
    forest = get_df("part").where(col("p_name").startswith("forest"))
    candidates = (
        get_df("partsupp")
        .join(forest, left_on=col("ps_partkey"), right_on=col("p_partkey"), how="semi")
        .join(shipped, left_on=[col("ps_partkey"), col("ps_suppkey")], right_on=[col("l_partkey"), col("l_suppkey")])
        .where(col("ps_availqty") > 0.5 * col("qty"))
    )
    canada = get_df("nation").where(col("n_name") == "CANADA")
    return (
        get_df("supplier")
        .join(canada, left_on=col("s_nationkey"), right_on=col("n_nationkey"), how="semi")
        .join(candidates, left_on=col("s_suppkey"), right_on=col("ps_suppkey"), how="semi")
        .select("s_name", "s_address")
        .sort("s_name")
    )


def q21(get_df: GetDF, daft: Any):
    col, when = daft.col, daft.functions.when
    lineitem = get_df("lineitem")
    is_late = col("l_receiptdate") > col("l_commitdate")
    # Per order: "another supplier exists" is min != max over its suppliers;
    # "no other supplier was late" is min == max over its late suppliers.
    orders_wanted = (
        lineitem.with_column("late_supp", when(is_late, col("l_suppkey")).otherwise(None))
        .groupby(col("l_orderkey"))
        .agg(
            col("l_suppkey").min().alias("lo"),
            col("l_suppkey").max().alias("hi"),
            col("late_supp").min().alias("late_lo"),
            col("late_supp").max().alias("late_hi"),
        )
        .where((col("lo") != col("hi")) & (col("late_lo") == col("late_hi")))
    )
    failed = get_df("orders").where(col("o_orderstatus") == "F")
    saudi = get_df("nation").where(col("n_name") == "SAUDI ARABIA")
    saudi_suppliers = get_df("supplier").join(
        saudi, left_on=col("s_nationkey"), right_on=col("n_nationkey"), how="semi"
    )
    return (
        lineitem.where(is_late)
        .join(saudi_suppliers, left_on=col("l_suppkey"), right_on=col("s_suppkey"))
        .join(failed, left_on=col("l_orderkey"), right_on=col("o_orderkey"), how="semi")
        .join(orders_wanted, on="l_orderkey", how="semi")
        .groupby(col("s_name"))
        .agg(col("l_orderkey").count().alias("numwait"))
        .sort(["numwait", "s_name"], desc=[True, False])
        .limit(100)
    )


def q22(get_df: GetDF, daft: Any):
    col, lit = daft.col, daft.lit
    codes = ["13", "31", "23", "29", "30", "18", "17"]
    customer = (
        get_df("customer").with_column("cntrycode", col("c_phone").substr(0, 2)).where(col("cntrycode").is_in(codes))
    )
    average = (
        customer.where(col("c_acctbal") > 0.0)
        .agg(col("c_acctbal").mean().alias("avg_acctbal"))
        .with_column("lit", lit(1))
    )
    return (
        customer.join(get_df("orders"), left_on=col("c_custkey"), right_on=col("o_custkey"), how="anti")
        .with_column("lit", lit(1))
        .join(average, on="lit")
        .where(col("c_acctbal") > col("avg_acctbal"))
        .groupby(col("cntrycode"))
        .agg(col("c_acctbal").count().alias("numcust"), col("c_acctbal").sum().alias("totacctbal"))
        .sort(col("cntrycode"))
    )


QUERIES = {i: globals()[f"q{i}"] for i in range(1, 23)}
