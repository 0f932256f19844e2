"""Arrow extension types other than Daft's (``DataType.extension``) and unions
(``DataType.union``), checked against daft==0.7.26 on the same values."""

from __future__ import annotations

import daft
import pyarrow as pa
import pytest

import ketch
from ketch import DataType, Series
from ketch.logical import ForeignExtension


class TagType(pa.ExtensionType):
    """A registered extension type with ``binary`` storage (as Daft's tests' ``DaftUuidType``)."""

    NAME = "ketch_test.tag"

    def __init__(self) -> None:
        super().__init__(pa.binary(), self.NAME)

    def __arrow_ext_serialize__(self) -> bytes:
        return b""

    @classmethod
    def __arrow_ext_deserialize__(cls, storage_type: pa.DataType, serialized: bytes) -> TagType:
        return cls()


@pytest.fixture
def tag_type():
    t = TagType()
    pa.register_extension_type(t)
    yield t
    pa.unregister_extension_type(TagType.NAME)


def tags(values: list) -> pa.Array:
    return pa.ExtensionArray.from_storage(TagType(), pa.array(values, pa.binary()))


def test_extension_datatype_matches_daft() -> None:
    for lib in (ketch, daft):
        t = lib.DataType.extension("my.tags", lib.DataType.string())
        assert t.is_extension() and not lib.DataType.string().is_extension()
        assert t == lib.DataType.extension("my.tags", lib.DataType.string())
        assert t != lib.DataType.extension("my.tags", lib.DataType.string(), "meta")
        assert t != lib.DataType.extension("other", lib.DataType.string())
        assert t != lib.DataType.string()
    assert repr(DataType.extension("my.tags", DataType.string(), "m")) == repr(
        daft.DataType.extension("my.tags", daft.DataType.string(), "m")
    )
    nested = DataType.list(DataType.extension("my.tags", DataType.string()))
    assert repr(nested) == "List[Extension[my.tags; String]]"
    assert nested != DataType.list(DataType.string())
    assert nested.dtype == DataType.extension("my.tags", DataType.string())


def test_extension_constructor_errors() -> None:
    with pytest.raises(TypeError, match="name must be a str"):
        DataType.extension(1, DataType.string())
    with pytest.raises(TypeError, match="storage_dtype must be a plain Arrow type"):
        DataType.extension("x", DataType.image())


def test_all_null_list_of_extension() -> None:
    dtype = DataType.list(DataType.list(DataType.extension("my.tags", DataType.string())))
    s = Series.from_pylist([None, None], dtype=dtype)
    assert s.datatype() == dtype
    assert s.to_pylist() == [None, None]


def test_registered_extension_series_matches_daft(tag_type) -> None:
    data = tags([b"a", None, b"c", b"d"])
    for lib in (ketch, daft):
        s = lib.Series.from_arrow(data)
        assert s.datatype() == lib.DataType.extension(TagType.NAME, lib.DataType.binary(), "")
        assert s.to_pylist() == [b"a", None, b"c", b"d"]
        taken = s.take(lib.Series.from_pylist([3, 0, None]))
        assert taken.to_arrow().type == tag_type
        assert taken.to_pylist() == [b"d", b"a", None]
        both = lib.Series.concat([s, s])
        assert both.to_arrow() == tag_type.wrap_array(pa.concat_arrays([data.storage, data.storage]))
        mask = lib.Series.from_pylist([True, False, None, True])
        chosen = mask.if_else(s, s.take(lib.Series.from_pylist([3, 2, 1, 0])))
        assert chosen.datatype() == s.datatype()
        assert chosen.to_arrow() == tag_type.wrap_array(pa.array([b"a", b"c", None, b"d"]))


def test_registered_extension_in_dataframes(tag_type, tmp_path) -> None:
    table = pa.table({"t": tags([b"a", None, b"c"]), "y": [1, 2, 3]})
    df = ketch.from_arrow(table)
    assert df.schema()["t"].dtype == DataType.extension(TagType.NAME, DataType.binary(), "")
    out = df.where(ketch.col("y") > 1).sort("y", desc=True).to_arrow()
    assert out.schema.field("t").type == tag_type
    assert out.column("t").to_pylist() == [b"c", None]
    assert df.describe().to_pydict()["type"] == daft.from_arrow(table).describe().to_pydict()["type"]

    # Through Parquet and back: the registered type with its own storage type
    # (the engine reads binaries as views).
    df.write_parquet(str(tmp_path))
    back = ketch.read_parquet(str(tmp_path))
    assert back.schema()["t"].dtype == DataType.extension(TagType.NAME, DataType.binary(), "")
    assert back.sort("y").to_arrow().select(["t", "y"]) == table


def test_cast_to_extension(tag_type) -> None:
    df = ketch.from_pydict({"b": [b"x", None]})
    registered = DataType.extension(TagType.NAME, DataType.binary(), "")
    out = df.select(ketch.col("b").cast(registered).alias("t")).to_arrow()
    assert out.column("t").type == tag_type
    assert out.column("t").to_pylist() == [b"x", None]
    assert df.select(ketch.col("b").cast(registered)).schema()["b"].dtype == registered

    unregistered = DataType.extension("not.registered", DataType.binary(), "m")
    s = Series.from_pylist([b"x"]).cast(unregistered)
    assert s.datatype() == unregistered
    arrow_type = s.to_arrow().type
    assert isinstance(arrow_type, ForeignExtension)
    assert (arrow_type.extension_name, arrow_type.__arrow_ext_serialize__()) == ("not.registered", b"m")
    # daft 0.7.26 gives the same values and type for the registered case.
    d = daft.from_pydict({"b": [b"x", None]})
    d_out = d.select(daft.col("b").cast(daft.DataType.extension(TagType.NAME, daft.DataType.binary(), "")))
    assert d_out.to_arrow().column(0) == out.column("t")


def test_union_datatype_matches_daft() -> None:
    for lib in (ketch, daft):
        u = lib.DataType.union({"i": lib.DataType.int32(), "f": lib.DataType.float64()}, type_ids=[0, 1], mode="dense")
        assert u.is_union() and str(u.union_mode) == "Dense" and u.type_ids == [0, 1]
        assert u.to_arrow_dtype() == pa.dense_union([pa.field("i", pa.int32()), pa.field("f", pa.float64())], [0, 1])
        with pytest.raises(ValueError, match="not supported"):
            lib.DataType.union({"i": lib.DataType.int32()}, type_ids=[0], mode="bogus")
        with pytest.raises(ValueError, match="must match the number of fields"):
            lib.DataType.union({"i": lib.DataType.int32()}, type_ids=[0, 1])
        with pytest.raises(AttributeError):
            lib.DataType.int64().union_mode  # noqa: B018
    k = DataType.union({"i": DataType.int32(), "s": DataType.string()}, type_ids=[3, 5])
    d = daft.DataType.union({"i": daft.DataType.int32(), "s": daft.DataType.string()}, type_ids=[3, 5])
    assert repr(k) == repr(d)


def test_union_series_matches_daft() -> None:
    arr = pa.UnionArray.from_sparse(pa.array([0, 1, 0], pa.int8()), [pa.array([1, 2, 3]), pa.array(["a", "b", "c"])])
    for lib in (ketch, daft):
        s = lib.Series.from_arrow(arr)
        assert repr(s.datatype()) == "Union[0: Int64, 1: String; type_ids: [0, 1]; mode: Sparse]"
        assert s.to_pylist() == [1, "b", 3]
        assert s.take(lib.Series.from_pylist([1, 0])).to_pylist() == ["b", 1]
