"""``read_huggingface``: datasets on the Hugging Face Hub (Daft's
``daft.io.huggingface``), read over HTTPS through the engine's HTTP store.

As Daft does it: the Hub's Parquet conversion of the dataset (its
``/api/datasets/<repo>/parquet`` listing) is read with :func:`read_parquet`;
``format="webdataset"`` reads the repository's ``.tar`` shards (its
``/api/datasets/<repo>/tree`` listing) with :func:`read_webdataset`. A
dataset the Hub has no Parquet conversion for falls back to the ``datasets``
library, as in Daft. The Hub is ``$HF_ENDPOINT`` (``huggingface_hub``'s
setting) or ``https://huggingface.co``.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from ketch.io_config import HTTPConfig, IOConfig
from ketch.io_config import _default_io_config as _planning_io_config
from ketch.memory import from_arrow

_HUB = "https://huggingface.co"


def _endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", _HUB).rstrip("/")


def _http_config(io_config: IOConfig | None) -> tuple[IOConfig, str | None]:
    """``io_config`` with the Hub token as the HTTP bearer token (Daft's rule:
    ``hf.anonymous`` sends none, else ``hf.token``, else ``http.bearer_token``), and the token."""
    io_config = io_config if io_config is not None else _planning_io_config()
    hf = io_config.hf
    token = None if hf.anonymous else hf.token or io_config.http.bearer_token
    http = HTTPConfig(**{**io_config.http._set, "bearer_token": token})
    return io_config.replace(http=http), token


def _get_json(url: str, token: str | None, what: str) -> tuple[Any, str | None]:
    """The JSON at ``url`` and the next page's URL (the ``Link: <...>; rel="next"``
    header the Hub's tree listing pages with); ``(None, None)`` on 404 or 400 (no
    such listing), errors naming ``what`` otherwise."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            links = response.headers.get("Link") or ""
            following = next(
                (part.split(";")[0].strip(" <>") for part in links.split(",") if 'rel="next"' in part), None
            )
            return json.load(response), following
    except urllib.error.HTTPError as e:
        if e.code in (400, 404):
            return None, None
        if e.code in (401, 403):
            raise PermissionError(f"Hugging Face refused access to {what} (HTTP {e.code}): check the token") from e
        raise OSError(f"Hugging Face request for {what} failed: HTTP {e.code} {e.reason}") from e


def _quote(repo: str) -> str:
    return urllib.parse.quote(repo, safe="/")


def _parquet_files(repo: str, token: str | None) -> list[str] | None:
    """The URLs of the Hub's Parquet conversion of ``repo``, configs and splits
    in the listing's order; None when the Hub has none."""
    listing, _ = _get_json(f"{_endpoint()}/api/datasets/{_quote(repo)}/parquet", token, f"dataset {repo!r}")
    if not listing:
        return None
    return [url for splits in listing.values() for urls in splits.values() for url in urls]


def _tar_files(repo: str, token: str | None) -> list[str]:
    """The resolve URLs of every ``.tar`` file in ``repo`` (main revision), in the tree's order."""
    page: str | None = f"{_endpoint()}/api/datasets/{_quote(repo)}/tree/main?recursive=true"
    tree: list[dict[str, Any]] = []
    while page is not None:
        items, page = _get_json(page, token, f"dataset {repo!r}")
        if items is None:
            raise FileNotFoundError(f"Hugging Face dataset not found: {repo}")
        tree.extend(items)
    paths = [item["path"] for item in tree if item.get("type") == "file" and item["path"].lower().endswith(".tar")]
    if not paths:
        raise FileNotFoundError(f"No .tar shards found in Hugging Face dataset {repo}")
    return [f"{_endpoint()}/datasets/{_quote(repo)}/resolve/main/{_quote(p)}" for p in paths]


def from_datasets_library(repo: str) -> Any:
    """Daft's fallback for a dataset without a Parquet conversion: every split
    loaded by ``datasets.load_dataset`` and concatenated."""
    try:
        from datasets import concatenate_datasets, load_dataset
    except ImportError as e:
        raise ImportError(
            "Parquet files are not available for this dataset. "
            "Please install the datasets library for fallback support: pip install 'ketch[huggingface]'"
        ) from e
    ds = load_dataset(repo)
    table = concatenate_datasets([ds[split] for split in ds.keys()]).with_format("arrow").data.table
    return from_arrow(table)


def resolve(repo: str, io_config: IOConfig | None, format: str | None) -> tuple[str, list[str], IOConfig]:
    """What :func:`ketch.io.read_huggingface` reads: ``("parquet", URLs,
    config)``, ``("webdataset", URLs, config)`` or ``("datasets", [], config)``
    (no Parquet conversion: the ``datasets`` library's fallback)."""
    if format not in (None, "parquet", "webdataset"):
        raise ValueError(f"Unsupported Hugging Face dataset format: {format!r}")
    if not isinstance(repo, str) or repo.count("/") != 1:
        raise ValueError(f"read_huggingface: repo must be 'user/dataset_name', got {repo!r}")
    config, token = _http_config(io_config)
    if format == "webdataset":
        return "webdataset", _tar_files(repo, token), config
    files = _parquet_files(repo, token)
    return ("parquet", files, config) if files else ("datasets", [], config)
