"""Daft names Daft's own tests import: ``daft.interval``,
``daft.errors.ExpressionTypeError``, ``daft.datatype.DataTypeLike``; values
compared with daft==0.7.26."""

from __future__ import annotations

import datetime

import daft
import pytest

import ketch
from ketch.datatype import DataTypeLike
from ketch.errors import ExpressionTypeError


def _shifted(mod):
    df = mod.from_pydict(
        {"t": [datetime.datetime(2020, 1, 31, 1, 2, 3)], "d": [datetime.date(2020, 1, 31)]},
    )
    return df.select(
        (mod.col("t") + mod.interval(hours=1, millis=5)).alias("t2"),
        (mod.col("d") + mod.interval(months=1)).alias("d2"),
        (mod.col("t") - mod.interval(years=1, days=1, nanos=1000)).alias("t3"),
    ).to_pydict()


def test_interval_arithmetic_matches_daft():
    assert _shifted(ketch) == _shifted(daft)
    value = ketch.from_pydict({"a": [1]}).select(ketch.interval(months=14, days=-2, seconds=1).alias("i"))
    assert repr(value.schema()["i"].dtype) == "Interval"
    [v] = value.to_pydict()["i"]
    assert (v.months, v.days, v.nanoseconds) == (14, -2, 1_000_000_000)
    with pytest.raises(TypeError, match="days"):
        ketch.interval(days=1.5)


def test_groupby_a_null_column_raises_expression_type_error():
    df = ketch.from_pydict({"group": [None, None], "x": [1, 2]})
    with pytest.raises(ExpressionTypeError, match="Cannot groupby on null type expression"):
        df.groupby(ketch.col("group"))
    with pytest.raises(daft.errors.ExpressionTypeError):
        daft.from_pydict({"group": [None, None], "x": [1, 2]}).groupby(daft.col("group"))


def test_datatype_like_names_what_cast_takes():
    df = ketch.from_pydict({"a": ["1"]})
    for t in (ketch.DataType.int32(), "int", int):
        assert isinstance(t, DataTypeLike)
        assert df.select(ketch.col("a").cast(t)).to_pydict()["a"][0] == 1


def test_concat_as_daft():
    def run(mod):
        a = mod.from_pydict({"a": [1, 2], "b": ["x", "y"]})
        b = mod.from_pydict({"a": [3], "b": ["z"]}).where(mod.col("a") > 0)
        return mod.concat([a, b, a]).to_pydict()

    assert run(ketch) == run(daft)
    with pytest.raises(ValueError, match="at least one"):
        ketch.concat([])
    with pytest.raises(ValueError, match="index 1 has a different schema"):
        ketch.concat([ketch.from_pydict({"a": [1]}), ketch.from_pydict({"a": ["x"]})])
    with pytest.raises(TypeError, match="DataFrame"):
        ketch.concat([ketch.from_pydict({"a": [1]}), 3])


def _types(mod):
    T = mod.DataType
    return [
        T.int64(),
        T.string(),
        T.bool(),
        T.float32(),
        T.list(T.int64()),
        T.binary(),
        T.date(),
        T.null(),
        T.struct({"x": T.int8()}),
        T.fixed_size_list(T.int32(), 3),
        T.decimal128(10, 2),
    ]


def test_schema_methods_match_daft(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    for mine, theirs in zip(_types(ketch), _types(daft)):
        ours = ketch.Schema.from_field_name_and_types([("x", mine)]).estimate_row_size_bytes()
        assert ours == daft.Schema.from_field_name_and_types([("x", theirs)]).estimate_row_size_bytes(), repr(mine)

    def methods(mod):
        T, S = mod.DataType, mod.Schema
        a = S.from_field_name_and_types([("a", T.int64()), ("b", T.string())])
        b = S.from_field_name_and_types([("c", T.float64())])
        hinted = a.apply_hints(S.from_field_name_and_types([("b", T.int32()), ("z", T.bool())]))
        return (
            a.union(b).column_names(),
            [repr(f.dtype) for f in hinted],
            a.to_name_set(),
            a.min_estimated_size_column(),
            S.from_field_name_and_types([]).min_estimated_size_column(),
            a.display_with_metadata(),
        )

    assert methods(ketch) == methods(daft)
    a = ketch.Schema.from_field_name_and_types([("a", ketch.DataType.int64())])
    with pytest.raises(ketch.exceptions.DaftCoreException, match="overlapping keys"):
        a.union(a)
    with pytest.raises(ValueError, match="Expected Schema"):
        a.union(3)

    pq.write_table(pa.table({"a": [1], "b": ["x"]}), tmp_path / "f.parquet")
    (tmp_path / "f.csv").write_text("a,b\n1,x\n")
    (tmp_path / "f.json").write_text('{"a": 1, "b": "x"}\n')
    for reader in ("from_parquet", "from_csv", "from_json"):
        path = str(tmp_path / f"f.{reader.split('_')[1]}")
        ours = getattr(ketch.Schema, reader)(path)
        theirs = getattr(daft.Schema, reader)(path)
        assert [(f.name, repr(f.dtype)) for f in ours] == [(f.name, repr(f.dtype)) for f in theirs]
    with pytest.raises(FileNotFoundError):
        ketch.Schema.from_parquet(str(tmp_path / "missing.parquet"))


def _series_results(mod):
    S = mod.Series
    s = S.from_pylist([1.0, 4.0, None, 9.0])
    ints = S.from_pylist([3, 1, None, 2])
    return [
        s.sqrt().to_pylist(),
        s.ceil().to_pylist(),
        s.log(2).to_pylist(),
        s.is_null().to_pylist(),
        s.round(1).to_pylist(),
        ints.argsort().to_pylist(),
        ints.sort(descending=True).to_pylist(),
        ints.sort(nulls_first=True).to_pylist(),
        S.from_pylist([1, 2, 3]).sum().to_pylist(),
        S.from_pylist([1, 2, None]).count().to_pylist(),
        S.from_pylist([1.0, 2.0, 4.0]).stddev().to_pylist(),
        S.from_pylist([1, 2, 3]).max().to_pylist(),
        S.from_pylist([1, 2, 3]).mean().to_pylist(),
        S.from_pylist([1, 2, 3]).filter(S.from_pylist([True, False, True])).to_pylist(),
        S.from_pylist([1, 2, 3]).take(S.from_pylist([2, 0])).to_pylist(),
        S.concat([S.from_pylist([1]), S.from_pylist([2, 3])]).to_pylist(),
        S.from_pylist([1, None]).fill_null(S.from_pylist([0, 0])).to_pylist(),
        S.from_pylist([True, False]).if_else(S.from_pylist([1, 2]), S.from_pylist([3, 4])).to_pylist(),
        S.from_pylist([1, 5]).clip(S.from_pylist([2, 2]), S.from_pylist([3, 3])).to_pylist(),
        S.from_pylist([1, 2]).arctan2(S.from_pylist([1, 1])).to_pylist(),
        S.from_pylist([1, 2]).shift_left(S.from_pylist([1, 2])).to_pylist(),
        S.from_pylist(["ab", "cd"]).str.upper().to_pylist(),
        S.from_pylist(["ab", "cd"]).str.length().to_pylist(),
        S.from_pylist([[1, 2], [3]]).list.length().to_pylist(),
        S.from_pylist([1.0, float("nan")]).float.is_nan().to_pylist(),
        S.from_pylist([[1, 2, 3], [4, 5]]).slice(0, 1).to_pylist(),
    ]


def test_series_methods_match_daft():
    for i, (ours, theirs) in enumerate(zip(_series_results(ketch), _series_results(daft))):
        assert ours == theirs, i
    with pytest.raises(ValueError, match="expected another Series"):
        ketch.Series.from_pylist([1, None]).fill_null(0)
    with pytest.raises(AttributeError, match="no_such_function"):
        ketch.Series.from_pylist(["a"]).str.no_such_function()
    # The namespaces are Daft's classes: methods Daft's tests take unbound.
    from ketch.series import SeriesStringNamespace

    s = ketch.Series.from_pylist(["hello world", None])
    assert SeriesStringNamespace.to_camel_case(s.str).to_pylist() == ["helloWorld", None]
    assert s.str.split(ketch.Series.from_pylist([" "])).to_pylist() == [["hello", "world"], None]
    assert ketch.Series.from_pylist([1, 2, 3]).size_bytes() > 0


def test_skip_existing_drops_rows_already_written(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    done = tmp_path / "done"
    done.mkdir()
    pq.write_table(pa.table({"id": [1, 3], "k": ["a", "c"]}), done / "part-0.parquet")
    (tmp_path / "done.csv").write_text("id,k\n4,d\n")
    df = ketch.from_pydict({"id": [1, 2, 3, 4, None], "k": ["a", "b", "c", "d", "e"]})
    out = df.skip_existing(str(done), key_column="id", file_format="parquet").sort("id").to_pydict()
    assert out["id"] == [2, 4, None]
    both = df.skip_existing(str(done), key_column=["id", "k"], file_format="parquet")
    assert sorted(both.to_pydict()["k"]) == ["b", "d", "e"]
    csv = df.skip_existing(str(tmp_path / "done.csv"), key_column="id", file_format="CSV")
    assert sorted(csv.to_pydict()["k"]) == ["a", "b", "c", "e"]
    with pytest.warns(UserWarning, match="No existing data"):
        assert df.skip_existing(str(tmp_path / "nope"), key_column="id", file_format="parquet") is df
    with pytest.warns(UserWarning, match="not found"):
        some = df.skip_existing([str(done), str(tmp_path / "nope")], key_column="id", file_format="parquet")
    assert sorted(x for x in some.to_pydict()["id"] if x is not None) == [2, 4]
    with pytest.raises(ValueError, match="Unsupported format"):
        df.skip_existing(str(done), key_column="id", file_format="avro")
    with pytest.raises(ValueError, match="key_column"):
        df.skip_existing(str(done), key_column=[], file_format="parquet")
    with pytest.raises(ValueError, match="num_workers"):
        df.skip_existing(str(done), key_column="id", file_format="parquet", num_workers=0)


def test_shuffle_reorders_rows_reproducibly_with_a_seed():
    df = ketch.from_pydict({"x": list(range(50))}).where(ketch.col("x") >= 0)
    first, second = df.shuffle().to_pydict()["x"], df.shuffle().to_pydict()["x"]
    assert sorted(first) == list(range(50)) and first != second and first != list(range(50))
    assert df.shuffle(seed=1).to_pydict() == df.shuffle(seed=1).to_pydict() != df.shuffle(seed=2).to_pydict()
    assert df.shuffle().schema().column_names() == ["x"]
    with pytest.raises(TypeError, match="seed"):
        df.shuffle(seed="a")


def test_random_int_of_a_range_too_wide_is_an_error_not_a_panic():
    df = ketch.from_pydict({"x": [1]})
    with pytest.raises(ketch.exceptions.DaftCoreException, match="below 2"):
        df.select(ketch.functions.random_int(-(2**62), 2**62)).collect()
    assert 0 <= df.select(ketch.functions.random_int(0, 2**62).alias("r")).to_pydict()["r"][0] <= 2**62


def test_numpy_array_literal_is_a_tensor_as_in_daft():
    import numpy as np

    def run(mod):
        df = mod.from_pydict({"x": [1, 2]}).select(
            mod.lit(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)).alias("v"),
            mod.lit(np.array([1, 2, 3])).alias("w"),
        )
        d = df.to_pydict()
        return [repr(f.dtype) for f in df.schema()], [a.tolist() for a in d["v"]], [a.tolist() for a in d["w"]]

    assert run(ketch) == run(daft)
