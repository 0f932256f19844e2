"""Python values of multimodal columns, both ways, as Daft 0.7.26 gives them.

Out (results -> Python): images are numpy arrays of shape ``(height, width,
channels)`` (grayscale keeps a channel axis of 1), tensors numpy arrays of
their shape, embeddings 1-D numpy arrays, files :class:`ketch.File` objects,
``Python`` cells the unpickled objects.

In (``from_pydict`` and friends): a column of numpy arrays is a ``Tensor``
(variable shape, as Daft infers it, even when all shapes agree), a column of
PIL images is ``Image[mode]`` (``Image[MIXED]`` when modes differ), a column
of :class:`ketch.File` is ``File[Unknown]``; numpy arrays of different dtypes,
or PIL images in modes Daft does not store (P, I;16, CMYK, ...), are
``Python`` objects.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa

from ketch import datatype as _datatype
from ketch import logical as lg
from ketch.datatype import _DaftExtension
from ketch.file import File
from ketch.io_config import IOConfig, io_config_json

_PIL_MODES = {"L": lg.ImageMode.L, "LA": lg.ImageMode.LA, "RGB": lg.ImageMode.RGB, "RGBA": lg.ImageMode.RGBA}


# --- out ---------------------------------------------------------------------


def _list_parts(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``(offsets, flat values)`` of a (large) list array, relative to its own slice."""
    offsets = np.asarray(arr.offsets)
    values = arr.values.to_numpy(zero_copy_only=False)
    return offsets, values


def _images(arr: pa.StructArray) -> list[Any]:
    data = arr.field("data")
    offsets, values = _list_parts(data)
    h = arr.field("height").to_numpy(zero_copy_only=False)
    w = arr.field("width").to_numpy(zero_copy_only=False)
    c = arr.field("channel").to_numpy(zero_copy_only=False)
    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    out: list[Any] = []
    for i in range(len(arr)):
        if not valid[i]:
            out.append(None)
            continue
        out.append(values[offsets[i] : offsets[i + 1]].reshape(int(h[i]), int(w[i]), int(c[i])))
    return out


def _fixed(arr: pa.FixedSizeListArray, shape: list[int]) -> list[Any]:
    n = arr.type.list_size
    values = arr.flatten().to_numpy(zero_copy_only=False) if len(arr) else np.empty(0)
    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    # flatten() drops null rows' slots: walk the valid rows in order.
    out: list[Any] = []
    j = 0
    for i in range(len(arr)):
        if not valid[i]:
            out.append(None)
            continue
        out.append(values[j * n : (j + 1) * n].reshape(shape))
        j += 1
    return out


def _tensors(arr: pa.StructArray) -> list[Any]:
    d_off, d_val = _list_parts(arr.field("data"))
    s_off, s_val = _list_parts(arr.field("shape"))
    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    return [
        d_val[d_off[i] : d_off[i + 1]].reshape([int(x) for x in s_val[s_off[i] : s_off[i + 1]]]) if valid[i] else None
        for i in range(len(arr))
    ]


def _files(arr: pa.StructArray, kind: str = "Unknown") -> list[Any]:
    """:class:`File` objects of a ``File[kind]`` column (URL, storage config, byte range)."""
    urls = arr.field("url").to_pylist()
    raw = arr.field("io_config").to_pylist()
    # Rows of one column mostly share a config: parse each distinct one once.
    parsed = {c: IOConfig._from_json(c) for c in set(raw) if c is not None}
    configs = [None if c is None else parsed[c] for c in raw]
    positions, sizes = arr.field("position").to_pylist(), arr.field("size").to_pylist()
    valid = arr.is_valid().to_pylist()
    media = _datatype.MediaType(kind)
    return [
        File(u, io_config=c, media_type=media, position=p, size=s) if ok and u is not None else None
        for u, c, p, s, ok in zip(urls, configs, positions, sizes, valid)
    ]


def file_array(items: list[Any], logical: Any) -> pa.StructArray:
    """The storage of a ``File`` column of :class:`File` objects (or None): URL,
    storage config (``IOConfig`` JSON), byte range."""
    # Files of one column mostly share a config object: serialise each distinct one once.
    by_id = {id(v._io_config): v._io_config for v in items if v is not None and v._io_config is not None}
    text = {k: io_config_json(c) for k, c in by_id.items()}
    configs = [None if v is None or v._io_config is None else text[id(v._io_config)] for v in items]
    return pa.StructArray.from_arrays(
        [
            pa.array([None if v is None else v.path for v in items], pa.large_string()),
            pa.array([None if c is None else c.encode() for c in configs], pa.large_binary()),
            pa.array([None if v is None else v.position for v in items], pa.int64()),
            pa.array([None if v is None else v._size for v in items], pa.int64()),
        ],
        fields=list(lg.storage(logical)),
        mask=pa.array([v is None for v in items]),
    )


def _sparse(arr: pa.StructArray, shape: list[int] | None) -> list[Any]:
    """Sparse tensor cells as Daft gives them: ``{values, indices, shape}``
    (numpy arrays of the stored values and indices, the shape as a list)."""
    v_off, values = _list_parts(arr.field("values"))
    i_off, indices = _list_parts(arr.field("indices"))
    shapes = None if shape is not None else arr.field("shape").to_pylist()
    valid = arr.is_valid().to_pylist()
    return [
        {
            "values": values[v_off[i] : v_off[i + 1]],
            "indices": indices[i_off[i] : i_off[i + 1]],
            "shape": shape if shapes is None else shapes[i],
        }
        if ok
        else None
        for i, ok in enumerate(valid)
    ]


def values(array: pa.Array, logical: Any) -> list[Any]:
    """The cells of one chunk of a column of logical type ``logical``."""
    if isinstance(array, pa.ExtensionArray):
        array = array.storage
    if logical == "Python":
        return [None if v is None else pickle.loads(v) for v in array.to_pylist()]
    ((kind, arg),) = logical.items()
    if kind == "Image":
        return _images(array)
    if kind == "FixedShapeImage":
        mode = lg.ImageMode[arg[0]]
        return _fixed(array, [arg[1], arg[2], mode.channels])
    if kind == "Tensor":
        return _tensors(array)
    if kind == "FixedShapeTensor":
        return _fixed(array, list(arg[1]))
    if kind == "Embedding":
        return _fixed(array, [arg[1]])
    if kind == "File":
        return _files(array, arg)
    if kind in ("SparseTensor", "FixedShapeSparseTensor"):
        return _sparse(array, list(arg[1]) if kind == "FixedShapeSparseTensor" else None)
    return array.to_pylist()


# --- in ----------------------------------------------------------------------


def _is_pil(v: Any) -> bool:
    return type(v).__module__.startswith("PIL.") and hasattr(v, "mode") and hasattr(v, "size")


def _large_list(chunks: list[np.ndarray], element: pa.DataType) -> pa.Array:
    lengths = [len(c) for c in chunks]
    offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.concatenate(chunks) if chunks else np.empty(0)
    return pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(flat, type=element))


def tensor_array(arrays: list[np.ndarray | None]) -> tuple[pa.Array, Any]:
    """A ``Tensor[T]`` column of numpy arrays (``None`` for nulls) and its logical type."""
    element = pa.from_numpy_dtype(next(a.dtype for a in arrays if a is not None))
    mask = np.array([a is None for a in arrays])
    data = [np.ascontiguousarray(a).ravel() if a is not None else np.empty(0, a_dtype(element)) for a in arrays]
    shapes = [np.array(a.shape if a is not None else (), dtype=np.uint64) for a in arrays]
    logical = {"Tensor": lg.element_name(element)}
    storage = pa.StructArray.from_arrays(
        [_large_list(data, element), _large_list(shapes, pa.uint64())],
        fields=list(lg.storage(logical)),
        mask=pa.array(mask) if mask.any() else None,
    )
    return storage, logical


def a_dtype(t: pa.DataType) -> np.dtype:
    return np.dtype(t.to_pandas_dtype())


def image_array(images: list[Any], mode: lg.ImageMode | None) -> tuple[pa.Array, Any]:
    """An ``Image[mode]`` column (``Image[MIXED]`` for ``None``) of PIL images or
    ``(H, W, C)`` uint8 arrays."""
    arrays = [None if im is None else np.asarray(im) for im in images]
    arrays = [a if a is None or a.ndim == 3 else a[..., None] for a in arrays]
    mask = np.array([a is None for a in arrays])
    data = [a.ravel() if a is not None else np.empty(0, np.uint8) for a in arrays]
    h = [0 if a is None else a.shape[0] for a in arrays]
    w = [0 if a is None else a.shape[1] for a in arrays]
    c = [0 if a is None else a.shape[2] for a in arrays]
    # ImageMode values 1-4 are the 8-bit modes with 1-4 channels (L, LA, RGB, RGBA).
    modes = [0 if a is None else a.shape[2] for a in arrays]
    logical = {"Image": mode.name if mode else None}
    storage = pa.StructArray.from_arrays(
        [
            _large_list(data, pa.uint8()),
            pa.array(c, pa.uint16()),
            pa.array(h, pa.uint32()),
            pa.array(w, pa.uint32()),
            pa.array(modes, pa.uint8()),
        ],
        fields=list(lg.storage(logical)),
        mask=pa.array(mask) if mask.any() else None,
    )
    return storage, logical


def python_array(items: list[Any]) -> tuple[pa.Array, Any]:
    """A ``Python`` column: each object pickled."""
    return pa.array([None if v is None else pickle.dumps(v) for v in items], pa.large_binary()), "Python"


def infer(items: list[Any]) -> tuple[pa.Array, Any] | None:
    """A multimodal column for ``items`` when Daft would infer one, else None."""
    present = [v for v in items if v is not None]
    if not present:
        return None
    if all(isinstance(v, np.ndarray) for v in present):
        if len({v.dtype for v in present}) == 1 and (present[0].dtype.kind in "biuf"):
            return tensor_array(items)
        return python_array(items)
    if all(_is_pil(v) for v in present):
        modes = {v.mode for v in present}
        if not modes <= set(_PIL_MODES):
            return python_array(items)
        return image_array(items, _PIL_MODES[modes.pop()] if len(modes) == 1 else None)
    if all(isinstance(v, File) for v in present):
        # File[kind] when every file names the same media type (as Daft infers it).
        kinds = {getattr(v._media_type, "_media_type", None) or "Unknown" for v in present}
        logical = {"File": kinds.pop() if len(kinds) == 1 else "Unknown"}
        return file_array(items, logical), logical
    if any(isinstance(v, np.ndarray) or _is_pil(v) for v in present):
        return python_array(items)
    return None


def as_extension(array: pa.Array, name: str, meta: str | None) -> pa.Array:
    """``array`` (storage) as the extension array its field metadata names
    (``meta``: the ``ARROW:extension:metadata`` value, None when absent), so a
    :class:`ketch.Series` knows its logical or extension type."""
    if name == lg.FIXED_SHAPE_TENSOR:
        shape = json.loads(meta or "{}")["shape"]
        return pa.ExtensionArray.from_storage(pa.fixed_shape_tensor(array.type.value_type, shape), array)
    if name == lg.DAFT_EXTENSION:
        return pa.ExtensionArray.from_storage(_DaftExtension(array.type, json.loads(meta or "{}")["datatype"]), array)
    return lg.wrap_extension(array, name, meta)


def from_python(items: Any, logical: Any) -> pa.Array:
    """The storage array of a column of logical type ``logical`` from Python
    values: numpy arrays (or one stacked array), PIL images, objects."""
    if logical == "Python":
        return python_array(list(items))[0]
    ((kind, arg),) = logical.items()
    if kind in ("Embedding", "FixedShapeTensor", "FixedShapeImage"):
        if kind == "FixedShapeImage":
            mode = lg.ImageMode[arg[0]]
            size, element = arg[1] * arg[2] * mode.channels, mode.element
        else:
            size = arg[1] if kind == "Embedding" else int(np.prod(arg[1]))
            element = lg.element_type(arg[0])
        rows = list(items)
        mask = np.array([v is None for v in rows])
        flat = (
            np.concatenate(
                [
                    np.zeros(size, a_dtype(element)) if v is None else np.asarray(v, a_dtype(element)).ravel()
                    for v in rows
                ]
            )
            if rows
            else np.empty(0, a_dtype(element))
        )
        if len(flat) != size * len(rows):
            raise ValueError(f"expected {len(rows)} values of {size} numbers for {lg.name(logical)}")
        return pa.FixedSizeListArray.from_arrays(
            pa.array(flat, element), type=lg.storage(logical), mask=pa.array(mask) if mask.any() else None
        )
    if kind == "Tensor":
        rows = [None if v is None else np.asarray(v, a_dtype(lg.element_type(arg))) for v in items]
        if all(v is None for v in rows):
            return pa.nulls(len(rows), lg.storage(logical))
        return tensor_array(rows)[0]
    if kind == "Image":
        # 8-bit images of any mode; each image keeps its own mode byte.
        return image_array(list(items), None)[0]
    if kind == "File":
        rows = [File(v) if isinstance(v, str) else v for v in items]
        if any(v is not None and not isinstance(v, File) for v in rows):
            bad = next(v for v in rows if v is not None and not isinstance(v, File))
            raise TypeError(f"cannot make {lg.name(logical)} values from {type(bad).__name__} (expected File or str)")
        return file_array(rows, logical)
    raise TypeError(f"cannot make {lg.name(logical)} values from Python objects")


# --- columns of Python values (``from_pydict``, ``Series.from_pylist``) ---------


def _normalize_column(name: str, values: Any) -> tuple[pa.Array | pa.ChunkedArray, pa.Field]:
    """The column as Arrow data and its field (with Daft's metadata for multimodal values)."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values, pa.field(name, values.type)
    if isinstance(values, np.ndarray):
        if values.ndim > 1:
            # Each row of a multi-dimensional array is a tensor, as Daft reads it.
            arr, lt = tensor_array(list(values))
            return arr, lg.field(name, lt)
        arr = pa.array(values)
        return arr, pa.field(name, arr.type)
    if not isinstance(values, Iterable) or isinstance(values, (str, bytes, dict)):
        raise ValueError(f"from_pydict: column '{name}' must be a list or array, got {type(values).__name__}")
    values = list(values)
    inferred = infer(values)
    if inferred is not None:
        arr, lt = inferred
        return arr, lg.field(name, lt)
    if any(isinstance(v, (set, frozenset)) for v in values):
        arr, lt = python_array(values)  # pyarrow would make lists of sets
        return arr, lg.field(name, lt)
    try:
        arr = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr, lt = _mixed_column(values)
        if lt is not None:
            return arr, lg.field(name, lt)
    return arr, pa.field(name, arr.type)


def _mixed_column(values: list[Any]) -> tuple[pa.Array, Any]:
    """A column of values with no one Arrow type, as Daft infers it: strings,
    numbers and booleans together are ``String`` (``True`` -> ``'true'``);
    anything else is a ``Python`` column of the objects themselves."""
    if all(v is None or isinstance(v, (str, int, float)) for v in values):
        strings = [None if v is None else str(v).lower() if isinstance(v, bool) else str(v) for v in values]
        return pa.array(strings, pa.string()), None
    return python_array(values)


def _infer_object(obj: Any) -> Any:
    """``DataType.infer_from_object``: the type of a one-value column of ``obj``."""
    _, field = _normalize_column("object", [obj])
    return _datatype.DataType._from_field(field)


_datatype._infer_object = _infer_object
