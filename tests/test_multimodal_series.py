"""Multimodal values in ``Series`` (the ``.image`` namespace, inference, casts)
and in ``to_pandas``, against Daft 0.7.26 on real images from the
scikit-image wheel."""

from __future__ import annotations

import importlib.util
import os

import daft
import numpy as np
import pytest
from PIL import Image

import ketch

DATA = os.path.join(importlib.util.find_spec("skimage").submodule_search_locations[0], "data")
FILES = ["astronaut.png", "camera.png", "logo.png", "rocket.jpg"]


def _encoded(mod):
    blobs = [open(os.path.join(DATA, f), "rb").read() for f in FILES] + [None]
    return mod.Series.from_pylist(blobs, name="b")


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if x is None or y is None:
            assert x is None and y is None
        else:
            assert x.shape == y.shape and x.dtype == y.dtype
            assert np.abs(x.astype(np.int64) - y.astype(np.int64)).max(initial=0) <= 2  # JPEG decoders


@pytest.mark.parametrize(
    "ops",
    [
        lambda s: s.image.decode(),
        lambda s: s.image.decode(mode="L"),
        lambda s: s.image.decode(mode="RGBA").image.resize(32, 24),
        lambda s: s.image.decode().image.to_mode("L"),
        lambda s: s.image.decode().image.resize(16, 16).image.to_tensor(),
        lambda s: s.image.decode().image.encode("PNG").image.decode(),
        lambda s: s.image.decode().image.to_tensor().cast(daft_or_ketch(s).DataType.image("RGB")),
    ],
)
def test_series_image_namespace_matches_daft(ops):
    ours, theirs = ops(_encoded(ketch)), ops(_encoded(daft))
    assert str(ours.datatype()) == str(theirs.datatype())
    assert ours.name() == theirs.name() == "b"
    _same(ours.to_pylist(), theirs.to_pylist())


def daft_or_ketch(s):
    return ketch if isinstance(s, ketch.Series) else daft


def test_series_image_errors_and_nulls():
    bad = ketch.Series.from_pylist([b"not an image", None])
    with pytest.raises(ValueError, match="row 0"):
        bad.image.decode()
    assert bad.image.decode(on_error="null").to_pylist() == [None, None]


@pytest.mark.parametrize(
    "values",
    [
        [np.zeros((2, 3), np.float32), np.ones((3, 1), np.float32), None],
        [np.arange(6, dtype=np.int64).reshape(2, 3)],
        [1, "a", 2.5, True, None],
        [object(), None],
        [{1, 2}],
    ],
)
def test_series_inference_matches_daft(values):
    ours, theirs = ketch.Series.from_pylist(values), daft.Series.from_pylist(values)
    assert str(ours.datatype()) == str(theirs.datatype())
    a, b = ours.to_pylist(), theirs.to_pylist()
    if any(isinstance(v, np.ndarray) for v in b):
        _same(a, b)
    elif str(theirs.datatype()) == "Python":
        assert [type(v) for v in a] == [type(v) for v in b]
        assert [v for v in a if isinstance(v, set)] == [v for v in b if isinstance(v, set)]
    else:
        assert a == b


def test_to_pandas_gives_shaped_tensors_as_daft():
    def frame(mod):
        df = mod.from_pydict(
            {
                "t": [np.arange(6, dtype=np.uint8).reshape(2, 3), None],
                "o": [{"k": 1}, None],
                "e": [np.ones(3, np.float32), np.zeros(3, np.float32)],
            }
        )
        df = df.with_column("ft", mod.col("e").cast(mod.DataType.tensor(mod.DataType.float32(), (3,))))
        df = df.with_column("em", mod.col("e").cast(mod.DataType.embedding(mod.DataType.float32(), 3)))
        df = df.with_column("img", mod.col("t").cast(mod.DataType.tensor(mod.DataType.uint8())))
        return df.to_pandas()

    ours, theirs = frame(ketch), frame(daft)
    assert list(ours.columns) == list(theirs.columns)
    for c in theirs.columns:
        for x, y in zip(ours[c], theirs[c]):
            assert type(x) is type(y), (c, type(x), type(y))
            if isinstance(y, np.ndarray):
                assert x.shape == y.shape and x.dtype == y.dtype and (x == y).all()
            else:
                assert x == y


def test_from_pydict_mixed_scalars_and_objects_as_daft():
    data = {"m": [1, "a", True, 1.5], "o": [object(), None, 3, 2.5]}
    ours, theirs = ketch.from_pydict(data), daft.from_pydict(data)
    assert [str(f.dtype) for f in ours.schema()] == [str(f.dtype) for f in theirs.schema()]
    assert ours.to_pydict()["m"] == theirs.to_pydict()["m"] == ["1", "a", "true", "1.5"]
    assert ours.to_pydict()["o"][1:] == theirs.to_pydict()["o"][1:] == [None, 3, 2.5]


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
@pytest.mark.parametrize("size", [(37, 23), (300, 500), (1, 1)])
def test_resize_every_8bit_mode_matches_daft_and_pillow(mode, size):
    """The SIMD resize path (one 8-bit mode -> fixed shape) against Daft's
    `image` crate resize and Pillow's BILINEAR, down- and upscaling, with a null row."""
    w, h = size

    def run(mod):
        s = _encoded(mod).image.decode(mode=mode).image.resize(w, h)
        return s.datatype(), s.to_pylist()

    (kt, ours), (dt, theirs) = run(ketch), run(daft)
    assert str(kt) == str(dt) == f"Image[{mode}; {h} x {w}]"
    assert ours[-1] is None and theirs[-1] is None
    _same(ours, theirs)
    decoded = _encoded(ketch).image.decode(mode=mode).to_pylist()
    for src, small in zip(decoded[:-1], ours[:-1]):
        if mode in ("L", "RGB"):
            pil = np.asarray(Image.fromarray(src.squeeze()).resize((w, h), Image.BILINEAR))
            assert np.abs(pil.astype(int) - small.squeeze().astype(int)).max() <= 1


# --- sparse tensors ------------------------------------------------------------

_RNG = np.random.default_rng(0)
_DENSE = [
    np.where(_RNG.random((3, 4)) < 0.5, _RNG.integers(1, 9, (3, 4)), 0).astype(np.int64),
    np.zeros((2,), np.int64),
    None,
    np.arange(6, dtype=np.int64).reshape(2, 3),
]


def _sparse_equal(a, b):
    assert (a is None) == (b is None)
    if a is not None:
        assert a["shape"] == b["shape"]
        for k in ("values", "indices"):
            assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k])


@pytest.mark.parametrize("offsets", [False, True])
def test_sparse_tensor_casts_match_daft_and_numpy(offsets):
    def run(mod):
        D = mod.DataType
        df = mod.from_pydict({"t": _DENSE})
        s = df.select(mod.col("t").cast(D.sparse_tensor(D.int64(), use_offset_indices=offsets)).alias("s"))
        back = s.select(mod.col("s").cast(D.tensor(D.int64())).alias("b"))
        fixed = mod.from_pydict({"t": [_DENSE[0], None]}).select(
            mod.col("t").cast(D.tensor(D.int64(), (3, 4))).alias("t")
        )
        fs = fixed.select(mod.col("t").cast(D.sparse_tensor(D.int64(), (3, 4), use_offset_indices=offsets)).alias("s"))
        fback = fs.select(mod.col("s").cast(D.tensor(D.int64(), (3, 4))).alias("b"))
        return s, back, fs, fback

    ours, theirs = run(ketch), run(daft)
    for o, t in zip(ours, theirs):
        assert [str(f.dtype) for f in o.schema()] == [str(f.dtype) for f in t.schema()]
    for i in (0, 2):
        for a, b in zip(ours[i].to_pydict()["s"], theirs[i].to_pydict()["s"]):
            _sparse_equal(a, b)
    for i in (1, 3):
        _same(ours[i].to_pydict()["b"], theirs[i].to_pydict()["b"])
    # numpy as the reference: the non-zeros in row-major order, and back.
    for dense, cell in zip(_DENSE, ours[0].to_pydict()["s"]):
        if dense is None:
            assert cell is None
            continue
        flat = np.flatnonzero(dense)
        assert np.array_equal(cell["values"], dense.ravel()[flat]) and cell["shape"] == list(dense.shape)
        stored = np.diff(flat, prepend=0) if offsets else flat
        assert np.array_equal(cell["indices"], stored)
    assert all((a is None and b is None) or np.array_equal(a, b) for a, b in zip(ours[1].to_pydict()["b"], _DENSE))


def test_sparse_tensor_types_match_daft():
    for mod_a, mod_b in [(ketch, daft)]:
        for args in [((), {}), (((2, 3),), {}), ((), {"use_offset_indices": True}), (((300,),), {})]:
            a = mod_a.DataType.sparse_tensor(mod_a.DataType.float32(), *args[0], **args[1])
            b = mod_b.DataType.sparse_tensor(mod_b.DataType.float32(), *args[0], **args[1])
            assert repr(a) == repr(b)
            assert (a.is_sparse_tensor(), a.is_fixed_shape_sparse_tensor()) == (
                b.is_sparse_tensor(),
                b.is_fixed_shape_sparse_tensor(),
            )
            assert a.use_offset_indices == b.use_offset_indices and str(a.dtype) == str(b.dtype)
            assert a.to_arrow_dtype().storage_type == b.to_arrow_dtype().storage_type
    with pytest.raises(ValueError, match="non-empty tuple"):
        ketch.DataType.sparse_tensor(ketch.DataType.int64(), [2, 2])


def test_fixed_shape_offset_sparse_to_variable_converts_indices():
    """Daft 0.7.26 relabels the offset-encoded indices as absolute ones (its
    result points at the wrong cells); ketch converts them."""
    D = ketch.DataType
    fixed = ketch.from_pydict({"t": [_DENSE[0]]}).select(ketch.col("t").cast(D.tensor(D.int64(), (3, 4))).alias("t"))
    fs = fixed.select(ketch.col("t").cast(D.sparse_tensor(D.int64(), (3, 4), use_offset_indices=True)).alias("s"))
    cell = fs.select(ketch.col("s").cast(D.sparse_tensor(D.int64())).alias("v")).to_pydict()["v"][0]
    assert np.array_equal(cell["indices"], np.flatnonzero(_DENSE[0]))
    text = fs.select(ketch.col("s").cast(D.sparse_tensor(D.int64())).alias("v"))
    assert "<SparseTensor shape=(3, 4)>" in repr(text.collect())
