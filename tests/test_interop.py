"""DataFrames to and from Ray Datasets and Dask DataFrames (Daft's
``to_ray_dataset``, ``from_ray_dataset``, ``to_dask_dataframe``,
``from_dask_dataframe``), on a local Ray instance started for this module."""

from __future__ import annotations

import sys

import daft
import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import ray

import ketch

DATA = {"x": [1, 2, 3, 4], "s": ["a", "b", None, "d"], "f": [0.5, None, 1.5, 2.5]}


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_to_ray_dataset_matches_daft(local_ray) -> None:
    # Several result batches become several blocks, rows in order.
    df = ketch.from_arrow([pa.table(DATA).slice(0, 2), pa.table(DATA).slice(2)])
    ds = df.to_ray_dataset()
    assert isinstance(ds, ray.data.Dataset)
    assert ds.take_all() == daft.from_pydict(DATA).to_ray_dataset().take_all()
    assert ds.take_all() == ketch.from_pydict(DATA).to_pylist()


class Box:
    def __init__(self, v: int) -> None:
        self.v = v


def test_to_ray_dataset_of_python_objects(local_ray) -> None:
    rows = ketch.from_pydict({"o": [Box(1), Box(2)]}).to_ray_dataset().take_all()
    assert [r["o"].v for r in rows] == [1, 2]


def test_from_ray_dataset(local_ray) -> None:
    items = [{"a": i, "b": f"s{i}", "c": float(i) / 2} for i in range(10)]
    df = ketch.from_ray_dataset(ray.data.from_items(items).repartition(3))
    assert df.to_pylist() == items
    assert df.schema()["a"].dtype == ketch.DataType.int64()
    assert df.where(ketch.col("a") > 6).count_rows() == 3
    # An empty Dataset keeps its schema.
    empty = ketch.from_ray_dataset(ray.data.from_arrow(pa.table({"a": pa.array([], pa.int32())})))
    assert empty.to_pydict() == {"a": []}
    with pytest.raises(TypeError, match="expects a ray.data.Dataset"):
        ketch.from_ray_dataset([1, 2])


def test_to_dask_dataframe() -> None:
    df = ketch.from_arrow([pa.table(DATA).slice(0, 2), pa.table(DATA).slice(2)])
    ddf = df.to_dask_dataframe()
    assert isinstance(ddf, dd.DataFrame)
    assert ddf.npartitions == 2
    expected = df.to_pandas()
    with dask.config.set(scheduler="synchronous"):
        got = ddf.compute()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)
    assert int(ddf["x"].sum().compute()) == 10
    # `meta` overrides the types Dask is told.
    meta = ddf._meta.astype({"x": "float64"})
    assert ketch.from_pydict({"x": [1, 2]}).to_dask_dataframe(meta=meta[["x"]]).dtypes["x"] == np.float64


def test_from_dask_dataframe() -> None:
    frame = pd.DataFrame({"a": range(7), "b": list("abcdefg")})
    df = ketch.from_dask_dataframe(dd.from_pandas(frame, npartitions=3))
    assert df.to_pydict() == {"a": list(range(7)), "b": list("abcdefg")}
    assert df.agg(ketch.col("a").sum()).to_pydict() == {"a": [21]}
    with pytest.raises(TypeError, match="expects a dask.dataframe.DataFrame"):
        ketch.from_dask_dataframe(frame)


def test_missing_packages_raise_import_error(monkeypatch) -> None:
    df = ketch.from_pydict({"x": [1]})
    monkeypatch.setitem(sys.modules, "ray.data", None)
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError, match="to_ray_dataset needs the `ray` package"):
        df.to_ray_dataset()
    with pytest.raises(ImportError, match="from_ray_dataset needs the `ray` package"):
        ketch.from_ray_dataset(object())
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with pytest.raises(ImportError, match=r"to_dask_dataframe needs the `dask\[dataframe\]` package"):
        df.to_dask_dataframe()
