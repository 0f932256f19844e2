"""Session, Catalog, Table and the module-level forwarders (Daft 0.7.26 API)."""

from __future__ import annotations

import pytest

import ketch
from ketch import Catalog, Identifier, Session, Table
from ketch.exceptions import DaftCoreException


def test_temp_tables_and_sql():
    s = Session()
    t = s.create_temp_table("t", ketch.from_pydict({"a": [1, 2]}))
    assert t.name == "t" and s.has_table("t") and s.list_tables() == [Identifier("t")]
    assert s.sql("select a * 10 as b from t order by b").to_pydict() == {"b": [10, 20]}
    assert s.read_table("t").to_pydict() == {"a": [1, 2]}
    s.drop_table("t")
    assert not s.has_table("t")


def test_catalog_from_pydict_and_name_resolution():
    s = Session()
    cat = Catalog.from_pydict({"x": ketch.from_pydict({"b": [1]}), "ns.y": {"c": [2]}}, name="mycat")
    s.attach_catalog(cat)
    assert s.list_catalogs() == ["mycat"] and s.current_catalog() is cat and s.current_namespace() is None
    assert cat.list_tables() == [Identifier("x"), Identifier("ns", "y")]
    assert cat.list_namespaces() == [Identifier("ns")]
    assert s.list_tables() == [Identifier("mycat", "x"), Identifier("mycat", "ns", "y")]
    assert s.sql("select * from x").to_pydict() == {"b": [1]}
    assert s.sql("select * from ns.y").to_pydict() == {"c": [2]}
    assert s.sql("select * from mycat.ns.y").to_pydict() == {"c": [2]}
    assert s.get_table("ns.y").read().to_pydict() == {"c": [2]}
    s.set_namespace("ns")
    assert s.sql("select * from y").to_pydict() == {"c": [2]}


def test_tables_append_overwrite_show_schema(capsys):
    s = Session()
    s.attach_table(Table.from_pydict("q", {"z": [5]}))
    tb = s.get_table("q")
    tb.append(ketch.from_pydict({"z": [6]}))
    assert tb.read().to_pydict() == {"z": [5, 6]}
    tb.overwrite(ketch.from_pydict({"z": [7]}))
    assert tb.read().to_pydict() == {"z": [7]}
    assert tb.schema().column_names() == ["z"]
    tb.show()
    assert "│ 7" in capsys.readouterr().out
    with pytest.raises(ValueError, match="do not match"):
        tb.append(ketch.from_pydict({"other": [1]}))
    s.detach_table("q")
    assert not s.has_table("q")
    with pytest.raises(ValueError):
        s.detach_table("q")


def test_views_track_their_dataframe():
    s = Session()
    df = ketch.from_pydict({"a": [1, 2, 3]})
    s.attach_table(Table.from_df("snap", df.where(ketch.col("a") > 1)))
    s.create_temp_view("live", df.where(ketch.col("a") > 2))
    assert s.sql("select count(*) as n from snap").to_pydict() == {"n": [2]}
    assert s.sql("select a from live").to_pydict() == {"a": [3]}
    with pytest.raises(ValueError, match="view"):
        s.get_table("live").append(df)


def test_namespaces_and_catalog_tables():
    s = Session()
    s.create_namespace("sales")
    assert s.has_namespace("sales") and s.list_namespaces() == [Identifier("sales")]
    s.create_table("sales.orders", ketch.from_pydict({"id": [1]}))
    assert s.has_table("sales.orders")
    s.write_table("sales.orders", ketch.from_pydict({"id": [2]}))
    assert sorted(s.read_table("sales.orders").to_pydict()["id"]) == [1, 2]
    assert s.sql("select count(*) as n from sales.orders").to_pydict() == {"n": [2]}
    s.create_table_if_not_exists("sales.orders", ketch.from_pydict({"id": [9]}))
    assert s.sql("select count(*) as n from sales.orders").to_pydict() == {"n": [2]}
    s.drop_namespace("sales")
    assert not s.has_table("sales.orders")


def test_use_and_errors():
    s = Session()
    s.attach_catalog(Catalog.from_pydict({"t": {"a": [1]}}, name="one"))
    s.attach_catalog(Catalog.from_pydict({"t": {"a": [2]}}, name="two"))
    assert s.sql("select a from t").to_pydict() == {"a": [1]}
    s.use("two")
    assert s.current_catalog().name == "two" and s.sql("select a from t").to_pydict() == {"a": [2]}
    assert s.sql("select a from one.default.t").to_pydict() == {"a": [1]}
    with pytest.raises(DaftCoreException, match="Table 'nope' not found"):
        s.get_table("nope")
    with pytest.raises(DaftCoreException, match="Catalog 'zz' not found"):
        s.get_catalog("zz")
    with pytest.raises(ValueError):
        s.use("zz")
    with pytest.raises(ValueError, match="already attached"):
        s.attach_catalog(Catalog.from_pydict({}, name="one"))


def test_module_level_forwarders_use_the_current_session():
    old = ketch.current_session()
    ketch.set_session(Session())
    try:
        ketch.create_temp_table("fw", ketch.from_pydict({"a": [3]}))
        assert ketch.has_table("fw") and ketch.list_tables() == [Identifier("fw")]
        assert ketch.sql("select a from fw", register_globals=False).to_pydict() == {"a": [3]}
        ketch.attach_catalog(Catalog.from_pydict({"k": {"b": [1]}}, name="c1"))
        assert ketch.current_catalog().name == "c1" and ketch.list_catalogs() == ["c1"]
        ketch.detach_table("fw")
        assert not ketch.has_table("fw")
    finally:
        ketch.set_session(old)


def test_identifier():
    i = Identifier.from_str("a.b")
    assert i == Identifier("a", "b") and str(i) == "a.b" and repr(i) == "Identifier('a.b')" and len(i) == 2
    with pytest.raises(ValueError):
        Identifier()


def test_tables_created_from_a_schema_are_empty():
    s = Session()
    schema = ketch.Schema.from_pydict({"a": ketch.DataType.int64(), "b": ketch.DataType.string()})
    t = s.create_temp_table("e", schema)
    assert t.read().to_pydict() == {"a": [], "b": []}
    t.append(ketch.from_pydict({"a": [1], "b": ["x"]}))
    assert s.sql("select * from e").to_pydict() == {"a": [1], "b": ["x"]}
    s.create_table("ns.f", schema)
    assert s.read_table("ns.f").schema() == schema
    with pytest.raises(TypeError, match="Schema or a DataFrame"):
        s.create_table("bad", {"a": 1})
