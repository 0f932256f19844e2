"""The UUID type, ``uuid()`` and the UUIDv7 transforms, against daft==0.7.26.

UUIDs are random, so values are compared by their structure (version,
variant, embedded time) and the transforms on fixed UUIDs, which must equal
Daft's exactly.
"""

from __future__ import annotations

import time
import uuid

import daft
import pyarrow as pa
import pytest

import ketch

FIXED = [
    uuid.UUID("019eb73f-58c8-7f50-b31d-46f02aaaaaaa"),  # UUIDv7, 2026-06
    uuid.UUID("00000000-0001-7000-8000-000000000000"),  # 1 ms after the epoch
    None,
    uuid.UUID("0192f5a0-0000-7000-8000-000000000000"),
]


def _fixed(mod):
    data = {"u": [None if u is None else u.bytes for u in FIXED]}
    return mod.from_pydict(data).select(mod.col("u").cast(mod.DataType.fixed_size_binary(16)))


@pytest.mark.parametrize("unit", ["day", "hour", "minute", "month"])
def test_uuid7_transforms_match_daft(unit):
    def run(mod):
        f = getattr(mod.functions, f"extract_{unit}_uuid7")
        out = _fixed(mod).select(f(mod.col("u")).alias("r"))
        return out.to_pydict()["r"], str(out.schema()["r"].dtype)

    assert run(ketch) == run(daft)


def test_generated_uuids_are_strings_of_the_right_version():
    before = int(time.time() * 1000)
    df = ketch.from_pydict({"row": list(range(1000))}).select(
        a=ketch.functions.uuid(), b=ketch.functions.uuid(version="v7")
    )
    schema = df.schema()
    assert [str(f.dtype) for f in schema] == ["UUID", "UUID"]
    assert schema["a"].dtype == ketch.DataType.uuid() and schema["a"].dtype.is_uuid()
    out = df.to_pydict()
    v4 = [uuid.UUID(s) for s in out["a"]]
    v7 = [uuid.UUID(s) for s in out["b"]]
    assert all(isinstance(s, str) for s in out["a"] + out["b"])
    assert {u.version for u in v4} == {4} and {u.version for u in v7} == {7}
    assert {u.variant for u in v4 + v7} == {uuid.RFC_4122}
    assert len(set(v4)) == len(set(v7)) == 1000
    assert out["b"] == sorted(out["b"]), "v7 UUIDs are time-ordered"
    millis = [int.from_bytes(u.bytes[:6], "big") for u in v7]
    assert before <= min(millis) and max(millis) <= time.time() * 1000


def test_generated_v7_feeds_the_transforms():
    df = ketch.from_pydict({"row": [1, 2]}).select(u=ketch.functions.uuid(version="v7"))
    days = df.select(ketch.functions.extract_day_uuid7(ketch.col("u")).alias("d")).to_pydict()["d"]
    assert days == [int(time.time() // 86400)] * 2


def test_uuid_type_is_arrows_canonical_extension_and_matches_daft():
    def arrow_type(mod):
        return mod.from_pydict({"r": [1]}).select(u=mod.functions.uuid()).to_arrow().schema.field("u").type

    assert arrow_type(ketch) == arrow_type(daft) == pa.uuid()
    assert repr(ketch.DataType.uuid()) == repr(daft.DataType.uuid()) == "UUID"


def test_sql_uuid():
    df = ketch.from_pydict({"r": [1, 2, 3]})  # noqa: F841 - referenced by name in SQL
    out = ketch.sql("SELECT uuid() AS a, uuid('v7') AS b FROM df").to_pydict()
    assert [uuid.UUID(s).version for s in out["a"] + out["b"]] == [4, 4, 4, 7, 7, 7]


def test_errors_match_daft():
    for mod in (ketch, daft):
        with pytest.raises(ValueError, match="v4"):
            mod.from_pydict({"r": [1]}).select(mod.functions.uuid("v9")).collect()
        with pytest.raises(Exception, match="FixedSizeBinary"):
            mod.from_pydict({"s": ["x"]}).select(mod.functions.extract_day_uuid7(mod.col("s"))).collect()


@pytest.mark.parametrize("target", ["string", "binary"])
def test_casts_from_uuid_match_daft_form(target):
    """UUID -> string is the hyphenated form, -> binary the 16 bytes (as Daft)."""
    df = ketch.from_pydict({"r": [1, 2]}).select(u=ketch.functions.uuid())
    out = df.select(ketch.col("u"), ketch.col("u").cast(getattr(ketch.DataType, target)()).alias("c"))
    assert str(out.schema()["c"].dtype) == str(getattr(daft.DataType, target)())
    got = out.to_pydict()
    want = [u if target == "string" else uuid.UUID(u).bytes for u in got["u"]]
    assert got["c"] == want


def test_fixed_size_binary_is_named_as_daft_names_it():
    assert repr(ketch.DataType.fixed_size_binary(16)) == repr(daft.DataType.fixed_size_binary(16)) == "Binary[16]"
