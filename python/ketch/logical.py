"""Daft's multimodal logical types in Arrow: names, layouts and metadata.

A logical type is Daft's serde description (``{"Image": "RGB"}``,
``{"Embedding": ["Float32", 3]}``, ``"Python"``, ...). In Arrow it is the
storage type below plus field metadata ``ARROW:extension:name =
daft.super_extension`` and ``ARROW:extension:metadata = {"datatype": ...}``,
exactly as Daft 0.7.26 writes it, so files and Arrow tables move between Daft
and ketch unchanged. Fixed-shape tensors use Arrow's canonical
``arrow.fixed_shape_tensor``. The Rust side
(``crates/ketch-functions/src/multimodal/types.rs``) reads and writes the same.
"""

from __future__ import annotations

import enum
import functools
import json
from typing import Any

import pyarrow as pa

from ketch._native import logical_layout

EXTENSION_NAME = b"ARROW:extension:name"
EXTENSION_METADATA = b"ARROW:extension:metadata"
DAFT_EXTENSION = "daft.super_extension"
FIXED_SHAPE_TENSOR = "arrow.fixed_shape_tensor"


class ImageMode(enum.Enum):
    """Daft's image modes; the value is the ``mode`` byte stored per image."""

    L = 1
    LA = 2
    RGB = 3
    RGBA = 4
    L16 = 5
    LA16 = 6
    RGB16 = 7
    RGBA16 = 8
    RGB32F = 9
    RGBA32F = 10

    @classmethod
    def from_mode_string(cls, mode: str) -> ImageMode:
        """The mode named ``mode`` (e.g. ``"RGB"``); ``ValueError`` for an unknown name."""
        try:
            return cls[mode.upper()] if isinstance(mode, str) else cls(mode)
        except (KeyError, ValueError):
            raise ValueError(
                f"Unsupported image mode: {mode!r}; expected one of {', '.join(m.name for m in cls)}"
            ) from None

    @property
    def channels(self) -> int:
        return {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[self.name.rstrip("0123456789F")]

    @property
    def element(self) -> pa.DataType:
        """The Arrow type of one channel value."""
        return pa.uint16() if self.name.endswith("16") else pa.float32() if self.name.endswith("F") else pa.uint8()


class ImageFormat(enum.Enum):
    """Daft's image encodings (``encode_image``)."""

    PNG = 1
    JPEG = 2
    TIFF = 3
    GIF = 4
    BMP = 5

    @classmethod
    def from_format_string(cls, fmt: str) -> ImageFormat:
        """The format named ``fmt`` (e.g. ``"png"``); ``ValueError`` for an unknown name."""
        try:
            return cls[fmt.upper()]
        except KeyError:
            raise ValueError(
                f"Unsupported image format: {fmt!r}; expected one of {', '.join(f.name for f in cls)}"
            ) from None


def mode_of(mode: Any) -> ImageMode | None:
    if mode is None or isinstance(mode, ImageMode):
        return mode
    return ImageMode.from_mode_string(mode)


_ELEMENTS = {
    "Boolean": pa.bool_(),
    "Int8": pa.int8(),
    "Int16": pa.int16(),
    "Int32": pa.int32(),
    "Int64": pa.int64(),
    "UInt8": pa.uint8(),
    "UInt16": pa.uint16(),
    "UInt32": pa.uint32(),
    "UInt64": pa.uint64(),
    "Float32": pa.float32(),
    "Float64": pa.float64(),
}
_ELEMENT_NAMES = {v: k for k, v in _ELEMENTS.items()}


def element_name(t: pa.DataType) -> str:
    """Daft's name of a tensor/embedding element type; ``TypeError`` for non-numeric ones."""
    if t not in _ELEMENT_NAMES:
        raise TypeError(f"tensor and embedding elements must be numeric or bool, got {t}")
    return _ELEMENT_NAMES[t]


def element_type(name: str) -> pa.DataType:
    return _ELEMENTS[name]


@functools.lru_cache(maxsize=1024)
def _layout(logical_json: str) -> tuple[pa.DataType, dict[bytes, bytes]]:
    """The storage type and field metadata of a logical type, from the engine."""
    try:
        return logical_layout(logical_json)
    except ValueError as e:
        raise TypeError(f"unsupported logical type {logical_json}: {e}") from None


def _json(logical: Any) -> str:
    return json.dumps(logical, separators=(",", ":"))


def storage(logical: Any) -> pa.DataType:
    """The Arrow storage type of a logical type (the layout the engine defines)."""
    return _layout(_json(logical))[0]


def name(logical: Any) -> str:
    """Daft's display name (``Image[RGB; 4 x 5]``, ``Tensor[UInt8; [4, 5, 3]]``, ...)."""
    if logical == "Python":
        return "Python"
    ((kind, arg),) = logical.items()
    if kind == "Image":
        return f"Image[{arg or 'MIXED'}]"
    if kind == "FixedShapeImage":
        return f"Image[{arg[0]}; {arg[1]} x {arg[2]}]"
    if kind == "Tensor":
        return f"Tensor[{arg}]"
    if kind == "FixedShapeTensor":
        return f"Tensor[{arg[0]}; [{', '.join(map(str, arg[1]))}]]"
    if kind == "SparseTensor":
        return f"SparseTensor[{arg[0]}; indices_offset: {str(arg[1]).lower()}]"
    if kind == "FixedShapeSparseTensor":
        return (
            f"FixedShapeSparseTensor[{arg[0]}; [{', '.join(map(str, arg[1]))}]; indices_offset: {str(arg[2]).lower()}]"
        )
    if kind == "Embedding":
        return f"Embedding[{arg[0]}; {arg[1]}]"
    if kind == "File":
        return f"File[{arg}]"
    return str(logical)


def metadata(logical: Any) -> dict[bytes, bytes]:
    """The Arrow field metadata that carries ``logical``."""
    return dict(_layout(_json(logical))[1])


def field(name_: str, logical: Any) -> pa.Field:
    """A nullable field ``name_`` of the logical type: storage type and extension metadata."""
    t, meta = _layout(_json(logical))
    return pa.field(name_, t, metadata=meta)


def of_type(t: pa.DataType) -> tuple[pa.DataType, Any]:
    """``(storage type, logical type or None)`` of a pyarrow type, which may be an
    extension type (Daft's registered one when Daft is imported, or Arrow's
    canonical fixed-shape tensor)."""
    if isinstance(t, pa.BaseExtensionType):
        ext = getattr(t, "extension_name", None)
        if ext == DAFT_EXTENSION:
            return t.storage_type, json.loads(t.__arrow_ext_serialize__())["datatype"]
        if isinstance(t, pa.FixedShapeTensorType):
            return t.storage_type, {"FixedShapeTensor": [element_name(t.value_type), list(t.shape)]}
    return t, None


def of_field(f: pa.Field) -> tuple[pa.DataType, Any]:
    """``(storage type, logical type or None)`` of a pyarrow field (metadata or extension type)."""
    t, logical = of_type(f.type)
    if logical is not None or not f.metadata:
        return t, logical
    ext = f.metadata.get(EXTENSION_NAME)
    raw = f.metadata.get(EXTENSION_METADATA)
    if ext is None or raw is None:
        return t, None
    try:
        meta = json.loads(raw)
    except ValueError:
        return t, None
    if ext.decode() == DAFT_EXTENSION:
        return t, meta.get("datatype")
    if ext.decode() == FIXED_SHAPE_TENSOR and pa.types.is_fixed_size_list(t):
        return t, {"FixedShapeTensor": [element_name(t.value_type), meta.get("shape")]}
    return t, None


# --- Arrow extension types other than Daft's (``DataType.extension``) --------------------------------
#
# Daft keeps any other Arrow extension type as ``Extension[name; storage]``:
# the logical type ``{"Extension": [name, metadata or None]}`` over the
# storage type. In the engine it is the storage type plus the field metadata
# ``ARROW:extension:name`` / ``ARROW:extension:metadata`` (arrow-rs' form of
# an extension type), which DataFusion carries through column references.

EXTENSION = "Extension"


class ForeignExtension(pa.ExtensionType):
    """An Arrow extension type that pyarrow has no registered class for:
    ``name`` and ``metadata`` kept, values of ``storage``. ``to_arrow`` gives
    arrays of this type for an unregistered ``DataType.extension`` (Daft wraps
    them in its own ``daft.super_extension`` instead)."""

    def __init__(self, storage: pa.DataType, name: str, metadata: str | None = None) -> None:
        self._metadata = metadata
        super().__init__(storage, name)

    def __arrow_ext_serialize__(self) -> bytes:
        return (self._metadata or "").encode()

    @classmethod
    def __arrow_ext_deserialize__(cls, storage_type: pa.DataType, serialized: bytes) -> ForeignExtension:
        raise TypeError("ForeignExtension is never registered with pyarrow")

    def __reduce__(self) -> tuple:
        return ForeignExtension, (self.storage_type, self.extension_name, self._metadata)


def extension_of_type(t: pa.DataType) -> tuple[pa.DataType, Any] | None:
    """``(storage type, {"Extension": [name, metadata]})`` for a Python-defined
    pyarrow extension type other than Daft's; else None (Arrow's built-in
    extension types such as ``arrow.uuid`` are types of their own in Daft)."""
    if not isinstance(t, pa.ExtensionType) or t.extension_name == DAFT_EXTENSION:
        return None
    meta = t._metadata if isinstance(t, ForeignExtension) else t.__arrow_ext_serialize__().decode()
    return t.storage_type, {EXTENSION: [t.extension_name, meta]}


def extension_of_field(f: pa.Field) -> Any:
    """``{"Extension": [name, metadata]}`` when ``f``'s metadata names an
    extension type other than Daft's and Arrow's fixed-shape tensor; else None."""
    md = f.metadata or {}
    name_ = md.get(EXTENSION_NAME)
    if name_ is None or name_.decode() in (DAFT_EXTENSION, FIXED_SHAPE_TENSOR):
        return None
    raw = md.get(EXTENSION_METADATA)
    return {EXTENSION: [name_.decode(), None if raw is None else raw.decode()]}


def extension_metadata(name_: str, meta: str | None) -> dict[bytes, bytes]:
    """The field metadata of an extension type (no metadata key when ``meta`` is None)."""
    out = {EXTENSION_NAME: name_.encode()}
    if meta is not None:
        out[EXTENSION_METADATA] = meta.encode()
    return out


def extension_type(storage: pa.DataType, name_: str, meta: str | None) -> pa.DataType:
    """The pyarrow type of an extension: the class registered with pyarrow under
    ``name_`` (found by pyarrow's own import of a field with that metadata),
    else a :class:`ForeignExtension`."""
    f = pa.field("x", storage, metadata=extension_metadata(name_, meta if meta is not None else ""))
    try:
        t = pa.Field._import_from_c_capsule(f.__arrow_c_schema__()).type
    except (pa.ArrowException, TypeError, ValueError):
        t = None
    if isinstance(t, pa.BaseExtensionType) and t.extension_name == name_:
        return t
    return ForeignExtension(storage, name_, meta)


def wrap_extension(array: pa.Array, name_: str, meta: str | None) -> pa.Array:
    """``array`` (storage values) as an array of the extension type ``name_``,
    its storage cast to the registered class' storage type where they differ
    (the engine reads strings and binaries as views)."""
    t = extension_type(array.type, name_, meta)
    storage = array if array.type == t.storage_type else array.cast(t.storage_type)
    return pa.ExtensionArray.from_storage(t, storage)
