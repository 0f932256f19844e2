"""Multimodal types and kernels against Daft 0.7.26, Pillow and numpy, on the
real images shipped inside the scikit-image wheel."""

from __future__ import annotations

import importlib.util
import io
import os
import pathlib

import daft
import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

import ketch
from ketch import DataType, col
from ketch import functions as F

DATA = os.path.join(importlib.util.find_spec("skimage").submodule_search_locations[0], "data")
# RGB PNG, grayscale PNG, RGBA PNG, JPEG, palette GIF, grayscale TIFF
FILES = ["astronaut.png", "camera.png", "logo.png", "rocket.jpg", "no_time_for_that_tiny.gif", "multipage.tif"]
PATHS = [os.path.join(DATA, f) for f in FILES]


def both(fn):
    """``fn(module)`` for ketch and Daft."""
    return fn(ketch), fn(daft)


def images(mod, mode="RGB", paths=PATHS):
    return mod.from_pydict({"p": paths}).select(mod.col("p").download().decode_image(mode=mode).alias("img"))


def assert_arrays_equal(a, b, tol=0):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if x is None or y is None:
            assert x is None and y is None
            continue
        assert x.shape == y.shape and x.dtype == y.dtype, (x.shape, y.shape, x.dtype, y.dtype)
        assert np.abs(x.astype(np.int64) - y.astype(np.int64)).max(initial=0) <= tol


# --- types -------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.DataType.image(),
        lambda m: m.DataType.image("RGB"),
        lambda m: m.DataType.image("rgba"),
        lambda m: m.DataType.image("RGB", 4, 5),
        lambda m: m.DataType.image("L16"),
        lambda m: m.DataType.tensor(m.DataType.uint8()),
        lambda m: m.DataType.tensor(m.DataType.float32(), (2, 3)),
        lambda m: m.DataType.embedding(m.DataType.float32(), 3),
        lambda m: m.DataType.file(),
        lambda m: m.DataType.python(),
    ],
)
def test_type_names_predicates_and_arrow_layout(make):
    k, d = both(make)
    assert repr(k) == repr(d)
    for pred in ["is_image", "is_fixed_shape_image", "is_tensor", "is_fixed_shape_tensor", "is_embedding"]:
        assert getattr(k, pred)() == getattr(d, pred)(), pred
    for pred in ["is_file", "is_python", "is_logical", "is_struct", "is_fixed_size_list", "is_list"]:
        assert getattr(k, pred)() == getattr(d, pred)(), pred
    ka, da = k.to_arrow_dtype(), d.to_arrow_dtype()
    assert ka.storage_type == da.storage_type
    assert ka.extension_name == da.extension_name
    if ka.extension_name == "daft.super_extension":
        # Same metadata bytes as Daft writes, so files carry the same type.
        assert ka.__arrow_ext_serialize__() == da.__arrow_ext_serialize__()
    assert k == make(ketch) and hash(k) == hash(make(ketch))


def test_type_errors_and_properties():
    with pytest.raises(ValueError, match="Image mode must be provided"):
        DataType.image(None, 4, 5)
    with pytest.raises(ValueError, match="both be specified"):
        DataType.image("L", 4)
    with pytest.raises(ValueError, match="XYZ"):
        DataType.image("XYZ")
    with pytest.raises(ValueError, match="must be numeric"):
        DataType.embedding(DataType.string(), 3)
    assert DataType.image("RGB", 4, 5).shape == (4, 5)
    assert DataType.image("RGB").image_mode == ketch.ImageMode.RGB
    assert DataType.embedding(DataType.float32(), 3).size == 3
    assert repr(DataType.tensor(DataType.uint8()).dtype) == "UInt8"
    with pytest.raises(AttributeError):
        _ = DataType.image("RGB").dtype


# --- values in and out -------------------------------------------------------


def _sample_columns():
    a = np.arange(60, dtype=np.uint8).reshape(4, 5, 3)
    return {
        "tensors": [a, np.ones((2, 2), np.uint8), None],
        "vectors": [np.zeros(3, np.float32), np.arange(3, dtype=np.float32), None],
        "pil": [Image.fromarray(a), Image.fromarray(a), None],
        "pil_mixed": [Image.fromarray(a), Image.fromarray(a[:, :, 0]), Image.fromarray(np.dstack([a, a[:, :, :1]]))],
        "mixed_dtypes": [np.zeros(3, np.int64), np.zeros(3, np.float64), None],
    }


def test_inference_and_python_values_match_daft():
    data = _sample_columns()
    k, d = both(lambda m: m.from_pydict(data))
    assert [repr(f.dtype) for f in k.schema()] == [repr(f.dtype) for f in d.schema()]
    kv, dv = k.to_pydict(), d.to_pydict()
    for name in ["tensors", "vectors", "pil", "pil_mixed"]:
        assert_arrays_equal(kv[name], dv[name])
    assert [type(v) for v in kv["mixed_dtypes"]] == [type(v) for v in dv["mixed_dtypes"]]
    # A 2-D numpy column is one tensor per row.
    k2 = ketch.from_pydict({"x": np.zeros((3, 4), np.float32)})
    assert repr(k2.schema()["x"].dtype) == "Tensor[Float32]"
    assert k2.to_pydict()["x"][0].shape == (4,)


@pytest.mark.parametrize(
    "target",
    [
        lambda m: m.DataType.image(),
        lambda m: m.DataType.image("RGB"),
        lambda m: m.DataType.image("RGB", 4, 5),
        lambda m: m.DataType.tensor(m.DataType.uint8(), (4, 5, 3)),
    ],
)
def test_casts_from_tensors_match_daft(target):
    a = np.arange(60, dtype=np.uint8).reshape(4, 5, 3)
    k, d = both(lambda m: m.from_pydict({"t": [a, a[::-1].copy(), None]}).select(m.col("t").cast(target(m))))
    assert repr(k.schema()["t"].dtype) == repr(d.schema()["t"].dtype)
    assert_arrays_equal(k.to_pydict()["t"], d.to_pydict()["t"])


def test_embedding_casts_and_errors():
    df = ketch.from_pydict({"v": [[1.0, 2.0, 3.0], None]})
    e = df.select(col("v").cast(DataType.embedding(DataType.float32(), 3)))
    assert repr(e.schema()["v"].dtype) == "Embedding[Float32; 3]"
    out = e.to_pydict()["v"]
    assert out[0].dtype == np.float32 and out[0].tolist() == [1.0, 2.0, 3.0] and out[1] is None
    back = e.select(col("v").cast(DataType.list(DataType.float64())))
    assert repr(back.schema()["v"].dtype) == "List[Float64]"
    assert back.to_pydict()["v"] == [[1.0, 2.0, 3.0], None]
    with pytest.raises(ValueError, match="cannot cast"):
        ketch.from_pydict({"s": ["a"]}).select(col("s").cast(DataType.image())).collect()


def test_parquet_round_trips_between_daft_and_ketch(tmp_path):
    data = _sample_columns()
    cols = ["tensors", "vectors", "pil", "pil_mixed"]
    d = daft.from_pydict({c: data[c] for c in cols}).with_columns(
        {
            "emb": daft.col("vectors").cast(daft.DataType.embedding(daft.DataType.float32(), 3)),
            "fixed": daft.col("pil").cast(daft.DataType.image("RGB", 4, 5)),
        }
    )
    d.write_parquet(str(tmp_path / "by_daft"))
    k = ketch.read_parquet(str(tmp_path / "by_daft"))
    assert [repr(f.dtype) for f in k.schema()] == [repr(f.dtype) for f in d.schema()]
    kv, dv = k.to_pydict(), d.to_pydict()
    for c in [*cols, "emb", "fixed"]:
        assert_arrays_equal(kv[c], dv[c])
    # ... and the reverse: ketch writes, Daft reads.
    k.write_parquet(str(tmp_path / "by_ketch"))
    d2 = daft.read_parquet(str(tmp_path / "by_ketch"))
    assert [repr(f.dtype) for f in d2.schema()] == [repr(f.dtype) for f in d.schema()]
    d2v = d2.to_pydict()
    for c in [*cols, "emb", "fixed"]:
        assert_arrays_equal(d2v[c], dv[c])
    # The file itself carries Daft's type (as metadata, or as Daft's extension type once Daft registered it).
    field = pq.read_schema(next((tmp_path / "by_ketch").glob("*.parquet"))).field("pil")
    assert ketch.logical.of_field(field)[1] == {"Image": "RGB"}


# --- image kernels -------------------------------------------------------------


@pytest.mark.parametrize("mode", ["RGB", None, "L", "RGBA"])
def test_decode_matches_daft_and_pillow(mode):
    k, d = both(lambda m: images(m, mode))
    assert repr(k.schema()["img"].dtype) == repr(d.schema()["img"].dtype)
    kv = k.to_pydict()["img"]
    # JPEG decoders differ by a unit or two between image-crate versions.
    assert_arrays_equal(kv, d.to_pydict()["img"], tol=2)
    for path, got in zip(PATHS, kv):
        if path.endswith(".jpg"):
            continue
        pil = Image.open(path)
        if mode in ("RGB", "RGBA"):
            want = np.asarray(pil.convert(mode))
            assert np.array_equal(got, want), path
        elif mode is None and pil.mode in ("L", "RGB", "RGBA"):
            want = np.asarray(pil)
            assert np.array_equal(got, want if want.ndim == 3 else want[..., None]), path


def test_decode_errors_name_the_row():
    df = ketch.from_pydict({"b": [open(PATHS[0], "rb").read(), b"not an image", None]})
    with pytest.raises(ValueError, match="row 1"):
        df.select(col("b").decode_image()).collect()
    out = df.select(col("b").decode_image(on_error="null")).to_pydict()["b"]
    assert out[0].shape == (512, 512, 3) and out[1] is None and out[2] is None
    with pytest.raises(ValueError, match="Binary"):
        ketch.from_pydict({"s": ["x"]}).select(col("s").decode_image()).collect()


@pytest.mark.parametrize("mode", ["RGB", None])
def test_resize_crop_convert_match_daft(mode):
    def run(m):
        img = m.col("img")
        return images(m, mode).select(
            img.resize(100, 60).alias("small"),
            img.crop((2, 3, 8, 9)).alias("crop"),
            img.convert_image("L").alias("gray"),
            img.image_to_tensor().alias("tensor"),
            img.image_width().alias("w"),
            img.image_height().alias("h"),
            img.image_channel().alias("c"),
            img.image_mode().alias("mode"),
        )

    k, d = both(run)
    assert [repr(f.dtype) for f in k.schema()] == [repr(f.dtype) for f in d.schema()]
    kv, dv = k.to_pydict(), d.to_pydict()
    for c in ["small", "crop", "gray", "tensor"]:
        assert_arrays_equal(kv[c], dv[c], tol=2)
    for c in ["w", "h", "c", "mode"]:
        assert kv[c] == dv[c]
    # Pillow / numpy as the reference: crop is slicing, resize is bilinear.
    decoded = images(ketch, mode).to_pydict()["img"]
    for src, crop, small in zip(decoded, kv["crop"], kv["small"]):
        assert np.array_equal(crop, src[3:12, 2:10])
        if src.shape[2] in (3, 4):
            pil = np.asarray(Image.fromarray(src).resize((100, 60), Image.BILINEAR))
            assert np.abs(pil.astype(int) - small.astype(int)).max() <= 1


def test_crop_per_row_boxes_and_clipping():
    df = ketch.from_pydict({"p": PATHS[:3], "box": [[500, 500, 100, 100], [0, 0, 2, 3], [900, 900, 5, 5]]})
    out = df.select(col("p").download().decode_image().crop(col("box")).alias("c")).to_pydict()["c"]
    assert out[0].shape == (12, 12, 3) and out[1].shape == (3, 2, 3) and out[2] is None
    with pytest.raises(ValueError, match="tuple of 4 ints"):
        col("x").crop((1, 2, 3))


@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "BMP", "JPEG"])
def test_encode_round_trips_through_pillow(fmt):
    df = images(ketch, "RGB", PATHS[:2])
    rows = df.select(col("img"), col("img").encode_image(fmt).alias("enc")).to_pydict()
    for img, enc in zip(rows["img"], rows["enc"]):
        back = np.asarray(Image.open(io.BytesIO(enc)).convert("RGB"))
        if fmt == "JPEG":
            assert np.abs(back.astype(int) - img.astype(int)).mean() < 3
        else:
            assert np.array_equal(back, img)


HASH_METHODS = ["ahash", "dhash", "dhash_vertical", "phash", "phash_simple", "whash", "crop_resistant", "colorhash"]


def hashes(df, **kw):
    """``image_hash`` of ``df.img`` by ketch and Daft: (schema dtype repr, hashes)."""
    out = []
    for m in (ketch, daft):
        h = df[m.__name__].select(m.functions.image_hash(m.col("img"), **kw).alias("h"))
        out.append((repr(h.schema()["h"].dtype), h.to_pydict()["h"]))
    return out


@pytest.mark.parametrize("method", HASH_METHODS)
def test_image_hash_matches_daft(method):
    k, d = both(lambda m: images(m, "RGB", PATHS[:3]).select(m.col("img").image_hash(method=method).alias("h")))
    width = {"crop_resistant": 72, "colorhash": 6}.get(method, 8)
    assert repr(k.schema()["h"].dtype) == repr(d.schema()["h"].dtype) == f"Binary[{width}]"
    assert k.to_pydict()["h"] == d.to_pydict()["h"]


@pytest.mark.parametrize(
    "kw",
    [
        dict(method="whash", hash_size=1),
        dict(method="whash", hash_size=2),
        dict(method="whash", hash_size=4),
        dict(method="whash", hash_size=16),
        dict(method="whash", hash_size=64),
        dict(method="crop_resistant", hash_size=8, segments=1),
        dict(method="crop_resistant", hash_size=4, segments=2),
        dict(method="crop_resistant", hash_size=4, segments=5),
        dict(method="crop_resistant", hash_size=12, segments=4),
        dict(method="crop_resistant", hash_size=5, segments=1),
        dict(method="crop_resistant", hash_size=16, segments=3),
        dict(method="colorhash", binbits=1),
        dict(method="colorhash", binbits=2),
        dict(method="colorhash", binbits=4),
        dict(method="colorhash", binbits=8),
        dict(method="colorhash", binbits=31),
        dict(method="phash", hash_size=1),
        dict(method="phash", hash_size=5),
        dict(method="phash_simple", hash_size=12),
        dict(method="dhash", hash_size=3),
        dict(method="ahash", hash_size=16),
    ],
    ids=lambda kw: "-".join(f"{v}" for v in kw.values()),
)
@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA"])
def test_image_hash_sizes_match_daft(kw, mode):
    df = {m.__name__: images(m, mode) for m in (ketch, daft)}
    (kt, kh), (dt, dh) = hashes(df, **kw)
    assert kt == dt
    assert kh == dh


def test_image_hash_of_flat_and_tiny_images_matches_daft():
    # Constant rows and columns give exact zeros in Daft's FFT DCT; tiny images
    # give empty crop_resistant tiles and whash scales above the image.
    rng = np.random.default_rng(0)
    arrs = [
        np.full((1, 1, 3), 200, np.uint8),
        np.zeros((2, 3, 3), np.uint8),
        np.full((40, 40, 3), 77, np.uint8),
        np.tile(np.arange(50, dtype=np.uint8)[None, :, None], (30, 1, 3)),
        np.tile(np.arange(0, 250, 5, dtype=np.uint8)[:, None, None], (1, 33, 3)),
        np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3),
        rng.integers(0, 256, (37, 61, 3), dtype=np.uint8),
        np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [30, 90, 200]]], np.uint8),
        None,
    ]
    df = {
        m.__name__: m.from_pydict({"img": arrs}).select(m.col("img").cast(m.DataType.image("RGB")))
        for m in (ketch, daft)
    }
    cases = [dict(method=m) for m in HASH_METHODS] + [
        dict(method="crop_resistant", hash_size=4, segments=4),
        dict(method="whash", hash_size=16),
        dict(method="colorhash", binbits=5),
        dict(method="phash", hash_size=6),
    ]
    for kw in cases:
        (kt, kh), (dt, dh) = hashes(df, **kw)
        assert kt == dt, kw
        assert kh == dh, kw
        assert kh[-1] is None


def test_colorhash_hue_bins_match_daft():
    # Every hue at full, faint and gray saturation, and every gray level.
    hsv = [(h, s, 255) for h in range(256) for s in (60, 85, 120, 170, 171, 255)]
    img = Image.new("HSV", (len(hsv), 1))
    img.putdata(hsv)
    rgb = np.asarray(img.convert("RGB"))
    cols = [rgb[:, i : i + 1] for i in range(rgb.shape[1])]
    cols += [np.full((1, 1, 3), v, np.uint8) for v in range(0, 256, 3)]
    cols += [np.array([[[v, v + 1, 0]]], np.uint8) for v in range(20, 40)]
    df = {
        m.__name__: m.from_pydict({"img": cols}).select(m.col("img").cast(m.DataType.image("RGB")))
        for m in (ketch, daft)
    }
    for binbits in (1, 3, 6):
        (kt, kh), (dt, dh) = hashes(df, method="colorhash", binbits=binbits)
        assert kt == dt and kh == dh


def test_image_hash_arguments():
    img = images(ketch, "RGB", PATHS[:1])
    for kw, match in [
        (dict(method="whash", hash_size=12), "power of 2"),
        (dict(method="colorhash", binbits=0), "binbits must be a positive integer"),
        (dict(method="crop_resistant", segments=0), "segments must be a positive integer"),
        (dict(hash_size=-1), "hash_size must be a positive integer"),
        (dict(method="nope"), "method must be one of"),
    ]:
        for m in (ketch, daft):
            with pytest.raises(ValueError, match=match):
                m.functions.image_hash(m.col("img"), **kw)
    with pytest.raises(ValueError, match="binbits must be between 1 and 31"):
        img.select(F.image_hash(col("img"), method="colorhash", binbits=32)).collect()
    with pytest.raises(ValueError, match="hash_size must be between 1 and 64"):
        img.select(F.image_hash(col("img"), hash_size=65)).collect()
    with pytest.raises(ValueError, match="too large"):
        img.select(F.image_hash(col("img"), method="crop_resistant", hash_size=64, segments=10**6)).collect()
    # Daft panics building this column (its tiles' bytes are not hash_size² bits);
    # ketch packs the 4 tiles' 9 bits each back to back into Daft's width.
    out = img.select(F.image_hash(col("img"), method="crop_resistant", hash_size=3, segments=2).alias("h"))
    assert repr(out.schema()["h"].dtype) == "Binary[5]"
    (h,) = out.to_pydict()["h"]
    tiles = []
    for r in range(2):
        for c in range(2):
            tile = images(ketch, "RGB", PATHS[:1]).select(
                col("img").crop([c * 256, r * 256, 256, 256]).image_hash(method="phash", hash_size=3).alias("h")
            )
            (t,) = tile.to_pydict()["h"]
            tiles.append(int.from_bytes(t, "big") >> 7)
    bits = "".join(f"{t:09b}" for t in tiles) + "0000"
    assert h == int(bits, 2).to_bytes(5, "big")


# --- vectors -------------------------------------------------------------------


def test_vector_functions_match_daft_and_numpy():
    a = [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], None, [1.0, 0.0, 1.0], [0.5, -2.0, 0.0]]
    b = [[4.0, 5.0, 6.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0.0, 0.0]]
    names = ["cosine_distance", "cosine_similarity", "dot_product", "euclidean_distance", "jaccard_similarity"]
    names += ["pearson_correlation"]
    for dtype in ["float32", "float64"]:

        def run(m, dtype=dtype):
            t = m.DataType.embedding(getattr(m.DataType, dtype)(), 3)
            df = m.from_pydict({"a": a, "b": b}).select(m.col("a").cast(t), m.col("b").cast(t))
            return df.select(*[getattr(m.col("a"), n)(m.col("b")).alias(n) for n in names])

        k, d = both(run)
        assert [repr(f.dtype) for f in k.schema()] == [repr(f.dtype) for f in d.schema()]
        kv, dv = k.to_pydict(), d.to_pydict()
        for n in names:
            np.testing.assert_allclose(np.array(kv[n], float), np.array(dv[n], float), rtol=1e-6, err_msg=n)
    x, y = np.array(a[0]), np.array(b[0])
    assert kv["dot_product"][0] == pytest.approx(x @ y)
    assert kv["euclidean_distance"][0] == pytest.approx(np.linalg.norm(x - y))
    with pytest.raises(ValueError, match="fixed size list or embedding"):
        ketch.from_pydict({"a": a, "b": b}).select(F.cosine_distance(col("a"), col("b"))).collect()


def test_hamming_distance():
    df = ketch.from_pydict({"x": [5, 255, -1, None], "y": [3, 0, 0, 1]})
    assert df.select(F.hamming_distance(col("x"), col("y"))).to_pydict()["x"] == [2, 8, None, None]
    hashes = images(ketch, "RGB", PATHS[:2]).select(col("img").image_hash().alias("h"))
    same = hashes.select(F.hamming_distance(col("h"), col("h")).alias("d")).to_pydict()["d"]
    assert same == [0, 0]


# --- files and URLs ------------------------------------------------------------


def test_download_local_paths_and_file_urls():
    paths = [PATHS[0], "file://" + PATHS[1], None]
    out = ketch.from_pydict({"p": paths}).select(col("p").download()).to_pydict()["p"]
    assert out[0] == open(PATHS[0], "rb").read() and out[1] == open(PATHS[1], "rb").read() and out[2] is None
    missing = ketch.from_pydict({"p": [PATHS[0], os.path.join(DATA, "nope.png")]})
    with pytest.raises(FileNotFoundError, match="nope.png"):
        missing.select(col("p").download()).collect()
    nulls = missing.select(col("p").download(on_error="null")).to_pydict()["p"]
    assert nulls[0] is not None and nulls[1] is None


def test_download_over_http(http_server):
    base, root = http_server
    names = sorted(n for n in os.listdir(root) if n.endswith(".png"))[:5]
    df = ketch.from_pydict({"u": [f"{base}/{n}" for n in names] + [f"{base}/missing.png"]})
    out = df.select(col("u").download(max_connections=2, on_error="null")).to_pydict()["u"]
    assert out[:-1] == [open(os.path.join(root, n), "rb").read() for n in names] and out[-1] is None
    with pytest.raises(FileNotFoundError):
        df.select(col("u").download()).collect()


def test_upload_then_read_blob(tmp_path):
    df = ketch.from_pydict({"b": [b"one", b"two", None]})
    urls = df.select(col("b").upload(str(tmp_path / "up"))).to_pydict()["b"]
    assert urls[2] is None and all(u.startswith("file://" + str(tmp_path / "up")) for u in urls[:2])
    assert [open(u[len("file://") :], "rb").read() for u in urls[:2]] == [b"one", b"two"]
    blobs = ketch.read_blob(str(tmp_path / "up" / "*")).to_pydict()
    assert sorted(blobs["content"]) == [b"one", b"two"] and sorted(blobs["size"]) == [3, 3]
    per_row = ketch.from_pydict({"b": [b"x"], "to": [str(tmp_path / "deep" / "x.bin")]})
    assert per_row.select(col("b").upload(col("to"))).to_pydict()["b"] == ["file://" + str(tmp_path / "deep/x.bin")]


def test_file_functions_match_daft():
    paths = [PATHS[0], PATHS[1], os.path.join(DATA, "nope.png"), None]

    def run(m):
        f = m.functions.file(m.col("p"))
        return m.from_pydict({"p": paths}).select(
            m.functions.file_path(f).alias("path"), m.functions.file_exists(f).alias("exists")
        )

    k, d = both(run)
    assert k.to_pydict() == d.to_pydict()
    sizes = ketch.from_pydict({"p": paths[:2]}).select(F.file_size(F.file(col("p")))).to_pydict()["p"]
    assert sizes == [os.path.getsize(p) for p in paths[:2]]
    files = ketch.from_pydict({"p": paths[:1]}).select(F.file(col("p"))).to_pydict()["p"]
    assert isinstance(files[0], ketch.File) and files[0].read() == open(PATHS[0], "rb").read()
    mimes = ketch.from_pydict({"p": PATHS[:4]}).select(F.guess_mime_type(col("p").download())).to_pydict()["p"]
    assert mimes == ["image/png", "image/png", "image/png", "image/jpeg"]


def test_from_glob_path_matches_daft():
    k, d = both(lambda m: m.from_glob_path(os.path.join(DATA, "*.png")))
    assert [repr(f.dtype) for f in k.schema()] == [repr(f.dtype) for f in d.schema()]
    kv, dv = k.to_pydict(), d.to_pydict()
    assert sorted(zip(kv["path"], kv["size"])) == sorted(zip(dv["path"], dv["size"]))
    # Nothing matching: an empty table with the schema and a warning naming
    # the pattern (Daft logs the same message, then fails internally).
    empty = ketch.from_glob_path(["/tmp/nothing_here/*.png", os.path.join(DATA, "coffee.png")])
    with pytest.warns(UserWarning, match="nothing_here"):
        assert empty.to_pydict()["path"] == [pathlib.Path(DATA, "coffee.png").as_uri()]
    blobs = ketch.read_blob("/tmp/nothing_here/*.png")
    with pytest.warns(UserWarning, match="nothing_here"):
        assert blobs.to_pydict() == {"path": [], "size": [], "content": []}


# --- display -------------------------------------------------------------------


def test_show_text_matches_daft():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)

    def run(m):
        df = m.from_pydict({"t": [a, None], "v": [np.array([1.0, 2.0, 3.0], np.float32), None]})
        df = df.with_column("e", m.col("v").cast(m.DataType.embedding(m.DataType.float32(), 3)))
        df = df.with_column("i", m.col("t").cast(m.DataType.tensor(m.DataType.float32())))
        return df.select("t", "e").collect()

    k, d = both(run)
    assert repr(k) == repr(d)
    img = images(ketch, "RGB", PATHS[:1]).collect()
    assert "<Image>" in repr(img)


def test_html_thumbnails():
    html = images(ketch, None, PATHS[:3]).collect()._repr_html_()
    assert html.count('<img style="width:auto;height:auto" src="data:image/png;base64, ') == 3
    import base64
    import re

    sizes = [Image.open(io.BytesIO(base64.b64decode(m))).size for m in re.findall(r"base64, ([A-Za-z0-9+/=]+)", html)]
    assert sizes == [(128, 128), (128, 128), (128, 128)]
    rocket = images(ketch, "RGB", [PATHS[3]]).collect()._repr_html_()
    (b64,) = re.findall(r"base64, ([A-Za-z0-9+/=]+)", rocket)
    assert Image.open(io.BytesIO(base64.b64decode(b64))).size == (128, 85)
