"""Daft 0.7.26's multimodal functions: images, vectors, files and URLs.

Each is a function of ``ketch.functions`` and (where Daft has one) an
``Expression`` method; the kernels run in Rust
(``crates/ketch-functions/src/multimodal/``): images on the ``image`` crate
(Daft's codecs and resampling), URLs through ``object_store`` with at most
``max_connections`` requests in flight per batch.
"""

from __future__ import annotations

from typing import Any, Literal

from ketch.expressions import Expression, _call
from ketch.io_config import io_config_json
from ketch.logical import ImageFormat, ImageMode, mode_of

_HASH_METHODS = ("phash", "phash_simple", "dhash", "dhash_vertical", "ahash", "whash", "crop_resistant", "colorhash")


def _on_error(on_error: str) -> str:
    if on_error not in ("raise", "null"):
        raise ValueError(f"on_error must be 'raise' or 'null', got {on_error!r}")
    return on_error


def _max_connections(n: int) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise ValueError(f"max_connections must be a positive integer, got {n!r}")
    return n


# --- images ------------------------------------------------------------------


def decode_image(
    bytes: Expression,  # noqa: A002 - Daft's parameter name
    on_error: Literal["raise", "null"] = "raise",
    mode: str | ImageMode | None = ImageMode.RGB,
) -> Expression:
    """Decodes encoded image bytes (PNG, JPEG, GIF, TIFF, WebP, BMP) into an
    ``Image[mode]`` column (``Image[MIXED]``, each image in its own mode, when
    ``mode`` is None). A row that does not decode is an error naming the row,
    or null with ``on_error='null'``. A GIF or TIFF gives its first frame."""
    m = mode_of(mode)
    return _call("decode_image", bytes, _on_error(on_error), m.name if m else None)


def encode_image(image: Expression, image_format: str | ImageFormat) -> Expression:
    """Encodes images as ``image_format`` (PNG, JPEG, TIFF, GIF or BMP) bytes (``Binary``)."""
    fmt = image_format if isinstance(image_format, ImageFormat) else ImageFormat.from_format_string(image_format)
    return _call("encode_image", image, fmt.name)


def resize(image: Expression, w: int, h: int) -> Expression:
    """Resizes images to ``w`` x ``h`` pixels (bilinear, as Daft). ``Image[mode]``
    inputs give the fixed-shape ``Image[mode; h x w]``."""
    for name, v in (("width", w), ("height", h)):
        if not isinstance(v, int) or v <= 0:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return _call("resize", image, w, h)


def crop(image: Expression, bbox: tuple[int, int, int, int] | Expression) -> Expression:
    """Crops images to ``bbox = (x, y, width, height)`` (a tuple, or a list
    column with one box per row); a box past the edge is clipped, one with
    nothing inside gives null. Result: ``Image[mode]`` (variable shape)."""
    if isinstance(bbox, Expression):
        return _call("crop", image, bbox)
    if not (isinstance(bbox, (tuple, list)) and len(bbox) == 4 and all(isinstance(v, int) for v in bbox)):
        raise ValueError(f"Expected `bbox` to be either a tuple of 4 ints or an Expression but received: {bbox}")
    return _call("crop", image, list(bbox))


def convert_image(image: Expression, mode: str | ImageMode) -> Expression:
    """Converts images to ``mode`` (e.g. ``"L"``: Rec. 709 luma, as Daft)."""
    return _call("convert_image", image, mode_of(mode).name)


def image_to_tensor(image: Expression) -> Expression:
    """Images as ``(height, width, channels)`` tensors (``Tensor[T]``, or fixed-shape for fixed-shape images)."""
    return _call("image_to_tensor", image)


def image_width(image: Expression) -> Expression:
    """Width in pixels (``UInt32``)."""
    return _call("image_width", image)


def image_height(image: Expression) -> Expression:
    """Height in pixels (``UInt32``)."""
    return _call("image_height", image)


def image_channel(image: Expression) -> Expression:
    """Number of channels (``UInt32``)."""
    return _call("image_channel", image)


def image_mode(image: Expression) -> Expression:
    """The ``ImageMode`` value of each image (``UInt32``: L=1, LA=2, RGB=3, RGBA=4, ...)."""
    return _call("image_mode", image)


def image_attribute(image: Expression, name: Literal["width", "height", "channel", "mode"]) -> Expression:
    """One of ``width``, ``height``, ``channel``, ``mode`` (``UInt32``)."""
    name = getattr(name, "value", name)
    if name not in ("width", "height", "channel", "mode"):
        raise ValueError(f"Unsupported image property: {name}, available: [height, width, channel, mode]")
    return _call("image_attribute", image, name)


def image_hash(
    image: Expression,
    *,
    method: Literal[
        "phash", "phash_simple", "dhash", "dhash_vertical", "ahash", "whash", "crop_resistant", "colorhash"
    ] = "phash",
    hash_size: int = 8,
    binbits: int = 3,
    segments: int = 3,
) -> Expression:
    """A perceptual hash per image for near-duplicate detection, bit-exact with
    Daft 0.7.26; compare two with ``hamming_distance``.

    Returns ``FixedSizeBinary`` (``Binary[n]``), the hash's bits packed most
    significant first, the last byte padded with zero bits:

    - ``"ahash"``, ``"dhash"``, ``"dhash_vertical"``, ``"phash"``,
      ``"phash_simple"``, ``"whash"``: ``hash_size * hash_size`` bits;
    - ``"crop_resistant"``: ``segments * segments * hash_size * hash_size`` bits,
      the ``phash`` of each tile of a ``segments`` x ``segments`` grid, row by row;
    - ``"colorhash"``: ``14 * binbits`` bits (black, gray and 6 + 6 hue bins in
      HSV space); ``hash_size`` and ``segments`` are unused.

    Spatial methods hash the image's luma (Rec. 709) resized with the bilinear
    filter. ``whash`` is Daft's multi-level Haar wavelet hash (the low band
    compared to its mean after min-max normalisation). Null images give null
    hashes.

    Raises ``ValueError`` for an unknown method, a ``hash_size``, ``binbits``
    or ``segments`` that is not a positive integer, or a ``hash_size`` that is
    not a power of 2 for ``"whash"``; when the query is planned, ketch also
    raises it (as ``DaftCoreException``, a ``ValueError``) for ``hash_size``
    above 64, ``binbits`` above 31 for ``"colorhash"`` (Daft's 32-bit bins
    overflow there) and hashes over 2 GiB. Where Daft fails
    (``"crop_resistant"`` with ``hash_size * hash_size`` not a multiple of 8
    and more than one segment), ketch packs the segments' bits back to back."""
    if method not in _HASH_METHODS:
        raise ValueError(f"method must be one of {_HASH_METHODS!r}, but got: {method!r}")
    for name, value in (("hash_size", hash_size), ("binbits", binbits), ("segments", segments)):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive integer, but got: {value!r}")
    if method == "whash" and hash_size & (hash_size - 1):
        raise ValueError(f"hash_size must be a power of 2 for 'whash', but got: {hash_size}")
    return _call("image_hash", image, method, hash_size, binbits, segments)


# --- vectors -----------------------------------------------------------------


def cosine_similarity(left: Expression, right: Expression) -> Expression:
    """Cosine similarity of two embedding / fixed-size-list columns (``Float64``; null for a zero vector)."""
    return _call("cosine_similarity", left, right)


def cosine_distance(left: Expression, right: Expression) -> Expression:
    """``1 - cosine_similarity`` (``Float64``; NaN for a zero vector, as Daft)."""
    return _call("cosine_distance", left, right)


def dot_product(left: Expression, right: Expression) -> Expression:
    """Dot product of two vectors (``Float64``)."""
    return _call("dot_product", left, right)


def euclidean_distance(left: Expression, right: Expression) -> Expression:
    """Euclidean (L2) distance of two vectors (``Float64``)."""
    return _call("euclidean_distance", left, right)


def jaccard_similarity(left: Expression, right: Expression) -> Expression:
    """Jaccard similarity of the non-zero positions of two vectors (``Float64``)."""
    return _call("jaccard_similarity", left, right)


def pearson_correlation(left: Expression, right: Expression) -> Expression:
    """Pearson correlation of two vectors (``Float64``; null where either is constant, as Daft).

    >>> import ketch
    >>> vec3 = ketch.DataType.fixed_size_list(ketch.DataType.float64(), 3)
    >>> df = ketch.from_pydict({"v": [[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]}).select(ketch.col("v").cast(vec3))
    >>> q = ketch.lit([1.0, 2.0, 3.0]).cast(vec3)
    >>> df.select(pearson_correlation(ketch.col("v"), q).alias("r")).to_pydict()
    {'r': [1.0, -1.0]}
    """
    return _call("pearson_correlation", left, right)


def hamming_distance(left: Expression, right: Expression) -> Expression:
    """Differing bits of two integer or same-size fixed binary columns (``UInt32``; null for negatives)."""
    return _call("hamming_distance", left, right)


# --- files and URLs ----------------------------------------------------------


def _io_config(io_config: Any) -> str | None:
    """The config's JSON for the engine (the planning config's default when None)."""
    return io_config_json(io_config)


def download(
    expr: Expression,
    max_connections: int = 32,
    on_error: Literal["raise", "null"] = "raise",
    io_config: Any = None,
) -> Expression:
    """The bytes at each URL or path (``Binary``): local paths, ``file://``,
    ``s3://``, ``gs://``, ``az://``/``abfs[s]://`` and ``http(s)://`` (through
    ``io_config`` or the planning config's ``default_io_config``), at most
    ``max_connections`` requests in flight, requests timed out and retried with
    backoff. A missing file raises ``FileNotFoundError`` naming it, or gives
    null with ``on_error='null'``."""
    config = _io_config(io_config)
    return _call("download", expr, _max_connections(max_connections), _on_error(on_error), config)


def upload(
    expr: Expression,
    location: str | Expression,
    max_connections: int = 32,
    on_error: Literal["raise", "null"] = "raise",
    io_config: Any = None,
) -> Expression:
    """Writes each row's bytes to ``location`` and returns the written URLs
    (``String``): a string is a folder (one file per row, named by a UUID), an
    expression gives each row's full path; object stores as for ``download``."""
    config = _io_config(io_config)
    return _call("upload", expr, location, _max_connections(max_connections), _on_error(on_error), config)


def file(url: Expression, io_config: Any = None) -> Expression:
    """``File[Unknown]`` references to the files at ``url`` (String URLs or
    paths; nothing is read). ``io_config`` (or the planning config's default)
    is kept with each file (Daft's ``io_config`` field) and used by
    ``file_size``, ``file_exists``, ``download`` and ``File.read``."""
    config = _io_config(io_config)
    return _call("file", url) if config is None else _call("file", url, config)


def file_path(file: Expression) -> Expression:
    """The URL or path of each file (``String``)."""
    return _call("file_path", file)


def file_size(file: Expression) -> Expression:
    """The size of each file in bytes (``UInt64``); a missing file raises ``FileNotFoundError``."""
    return _call("file_size", file)


def file_exists(file: Expression) -> Expression:
    """Whether each file exists (``Bool``)."""
    return _call("file_exists", file)


def guess_mime_type(bytes_expr: Expression) -> Expression:
    """The media type of each value from its magic bytes (``String``; null when unknown)."""
    return _call("guess_mime_type", bytes_expr)


FUNCTIONS = {
    f.__name__: f
    for f in (
        decode_image,
        encode_image,
        resize,
        crop,
        convert_image,
        image_to_tensor,
        image_width,
        image_height,
        image_channel,
        image_mode,
        image_attribute,
        image_hash,
        cosine_similarity,
        cosine_distance,
        dot_product,
        euclidean_distance,
        jaccard_similarity,
        pearson_correlation,
        hamming_distance,
        download,
        upload,
        file,
        file_path,
        file_size,
        file_exists,
        guess_mime_type,
    )
}
#: The Expression methods Daft 0.7.26 has for these functions.
METHODS = set(FUNCTIONS) - {"file", "guess_mime_type"}
