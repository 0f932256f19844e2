"""Storage configuration: ``IOConfig`` and its per-service parts, with Daft
0.7.26's names, parameters and defaults (``daft.io.IOConfig``, ``S3Config``,
``S3Credentials``, ``GCSConfig``, ``AzureConfig``, ``HTTPConfig``).

Every constructor argument defaults to ``None`` ("not set"); reading a field
gives the value the engine uses (Daft's default when not set). The engine
receives a config as JSON of the fields that were set (:meth:`IOConfig._json`)
and maps it onto ``object_store`` clients (``ketch_io::storage``).
Credentials not given are taken from the environment as each client does
(``AWS_*``, ``GOOGLE_APPLICATION_CREDENTIALS``, ``AZURE_STORAGE_*``).
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Callable
from typing import Any, ClassVar


class _Config:
    """Fields with Daft's defaults; immutable; ``replace`` makes a changed copy."""

    _FIELDS: ClassVar[dict[str, Any]] = {}
    _SECRET: ClassVar[tuple[str, ...]] = ()
    _NAME: ClassVar[str] = ""

    def __init__(self, **kwargs: Any) -> None:
        for k in kwargs:
            if k not in self._FIELDS:
                raise TypeError(f"{type(self).__name__}.__new__() got an unexpected keyword argument '{k}'")
        object.__setattr__(self, "_set", {k: v for k, v in kwargs.items() if v is not None})

    def __getattr__(self, name: str) -> Any:
        fields = type(self)._FIELDS
        if name in fields:
            return self.__dict__["_set"].get(name, fields[name])
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use replace()")

    def replace(self, **kwargs: Any) -> Any:
        """A copy with the given (non-None) fields changed."""
        return type(self)(**{**self._set, **{k: v for k, v in kwargs.items() if v is not None}})

    def __repr__(self) -> str:
        if not self._set:
            return f"{type(self).__name__} {{}}"
        shown = [f"{k} = {'** redacted **' if k in self._SECRET else v!r}" for k, v in self._set.items()]
        return f"{type(self).__name__}\n    " + "\n    ".join(shown)

    def __reduce__(self) -> tuple:
        return (_rebuild, (type(self), self._set))

    def _json(self) -> dict[str, Any]:
        out = {}
        for k, v in self._set.items():
            if isinstance(v, _Config):
                v = v._json()
            elif callable(v):
                continue  # providers are called on the Python side (S3Config.credentials_provider)
            out[k] = v
        return out


def _rebuild(cls: type, values: dict[str, Any]) -> Any:
    return cls(**values)


class S3Credentials:
    """Static S3 credentials (as returned by an ``S3Config.credentials_provider``)."""

    def __init__(
        self,
        key_id: str,
        access_key: str,
        session_token: str | None = None,
        expiry: datetime.datetime | None = None,
    ) -> None:
        self.key_id, self.access_key, self.session_token, self.expiry = key_id, access_key, session_token, expiry

    def __repr__(self) -> str:
        return f"S3Credentials {{ key_id: {self.key_id}, access_key: ** redacted **, expiry: {self.expiry} }}"


class S3Config(_Config):
    """S3 (and S3-compatible: MinIO, moto, R2) access for ``s3://`` / ``s3a://`` URLs.

    ``endpoint_url`` selects another endpoint (path-style requests unless
    ``force_virtual_addressing``); ``anonymous=True`` sends unsigned requests;
    ``key_id``/``access_key``/``session_token`` are static credentials and
    ``credentials_provider`` a callable returning :class:`S3Credentials`;
    ``num_tries`` is attempts per request (retries = num_tries - 1) with
    exponential backoff from ``retry_initial_backoff_ms``; timeouts are in
    milliseconds; ``max_connections`` bounds requests in flight per store.
    """

    _FIELDS: ClassVar[dict[str, Any]] = {
        "region_name": None,
        "endpoint_url": None,
        "key_id": None,
        "session_token": None,
        "access_key": None,
        "credentials_provider": None,
        "buffer_time": None,
        "max_connections": 8,
        "retry_initial_backoff_ms": 1000,
        "connect_timeout_ms": 30000,
        "read_timeout_ms": 30000,
        "num_tries": 25,
        "retry_mode": "adaptive",
        "anonymous": False,
        "use_ssl": True,
        "verify_ssl": True,
        "check_hostname_ssl": True,
        "requester_pays": False,
        "force_virtual_addressing": False,
        "profile_name": None,
        "multipart_size": None,
        "multipart_max_concurrency": None,
        "custom_retry_msgs": [],
    }
    _SECRET = ("session_token", "access_key")

    @staticmethod
    def from_env() -> S3Config:
        """A config from the standard ``AWS_*`` environment variables."""
        env = {
            "region_name": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
            "endpoint_url": os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"),
            "key_id": os.environ.get("AWS_ACCESS_KEY_ID"),
            "access_key": os.environ.get("AWS_SECRET_ACCESS_KEY"),
            "session_token": os.environ.get("AWS_SESSION_TOKEN"),
        }
        return S3Config(**env)

    def provide_cached_credentials(self) -> S3Credentials | None:
        """The provider's credentials, or None without a provider."""
        provider = self.credentials_provider
        return provider() if provider is not None else None

    def _json(self) -> dict[str, Any]:
        out = super()._json()
        creds = self.provide_cached_credentials()
        if creds is not None:
            out.update(key_id=creds.key_id, access_key=creds.access_key)
            if creds.session_token:
                out["session_token"] = creds.session_token
        return out


class GCSConfig(_Config):
    """Google Cloud Storage access for ``gs://`` / ``gcs://`` URLs:
    ``credentials`` is a service-account file path or its JSON text,
    ``token`` an OAuth2 bearer token, ``anonymous=True`` unsigned requests."""

    _FIELDS: ClassVar[dict[str, Any]] = {
        "project_id": None,
        "credentials": None,
        "token": None,
        "anonymous": False,
        "max_connections": 8,
        "retry_initial_backoff_ms": 1000,
        "connect_timeout_ms": 30000,
        "read_timeout_ms": 30000,
        "num_tries": 5,
    }
    _SECRET = ("credentials", "token")


class AzureConfig(_Config):
    """Azure Blob / ADLS access for ``az://``, ``abfs://`` and ``abfss://`` URLs."""

    _FIELDS: ClassVar[dict[str, Any]] = {
        "storage_account": None,
        "access_key": None,
        "sas_token": None,
        "bearer_token": None,
        "tenant_id": None,
        "client_id": None,
        "client_secret": None,
        "use_fabric_endpoint": False,
        "anonymous": False,
        "endpoint_url": None,
        "use_ssl": True,
        "max_connections": 8,
    }
    _SECRET = ("access_key", "sas_token", "bearer_token", "client_secret")


class HTTPConfig(_Config):
    """HTTP(S) access: an optional bearer token, retries and timeouts (ms)."""

    _FIELDS: ClassVar[dict[str, Any]] = {
        "bearer_token": None,
        "retry_initial_backoff_ms": 1000,
        "connect_timeout_ms": 30000,
        "read_timeout_ms": 30000,
        "num_tries": 5,
    }
    _SECRET = ("bearer_token",)


class HuggingFaceConfig(_Config):
    """Hugging Face Hub access (``hf`` in :class:`IOConfig`): ``token`` (a
    user access token, sent as a bearer token) or ``anonymous=True`` (send
    none). ``use_xet`` and the write settings (``use_content_defined_chunking``,
    ``row_group_size``, ``target_filesize``, ``max_operations_per_commit``) are
    kept for Daft compatibility and do not change what ketch reads: ketch
    downloads over plain HTTPS (the same bytes Xet would give) and has no Hub
    writer yet."""

    _FIELDS: ClassVar[dict[str, Any]] = {
        "token": None,
        "anonymous": False,
        "use_xet": True,
        "use_content_defined_chunking": None,
        "row_group_size": None,
        "target_filesize": 512 * 1024 * 1024,
        "max_operations_per_commit": 100,
    }
    _SECRET = ("token",)


class IOConfig(_Config):
    """Per-service storage configuration: ``s3`` for ``s3://``, ``gcs`` for
    ``gs://``/``gcs://``, ``azure`` for ``az://``/``abfs[s]://``, ``http``
    for ``http(s)://``. Pass it as ``io_config=`` to a reader, writer or
    ``download``, or set it for every call with
    ``ketch.set_planning_config(default_io_config=...)``."""

    _FIELDS: ClassVar[dict[str, Any]] = {
        "s3": None,
        "azure": None,
        "gcs": None,
        "http": None,
        "unity": None,
        "hf": None,
        "disable_suffix_range": None,
        "tos": None,
        "gravitino": None,
        "cos": None,
        "goosefs": None,
        "hdfs": None,
        "opendal_backends": {},
        "protocol_aliases": {},
    }
    _PARTS: ClassVar[dict[str, type]] = {
        "s3": S3Config,
        "azure": AzureConfig,
        "gcs": GCSConfig,
        "http": HTTPConfig,
        "hf": HuggingFaceConfig,
    }

    def __init__(self, **kwargs: Any) -> None:
        for k, cls in self._PARTS.items():
            v = kwargs.get(k)
            if v is not None and not isinstance(v, cls):
                raise TypeError(f"'{type(v).__name__}' object is not an instance of '{cls.__name__}'")
        super().__init__(**kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in IOConfig._PARTS and name not in self.__dict__["_set"]:
            return IOConfig._PARTS[name]()
        return super().__getattr__(name)

    def _to_json(self) -> str:
        """The fields that were set, as JSON for the engine."""
        return json.dumps(self._json(), sort_keys=True)

    @classmethod
    def _from_json(cls, text: str | bytes) -> IOConfig:
        """The config :meth:`_to_json` wrote."""
        fields = json.loads(text)
        return cls(**{k: cls._PARTS[k](**v) if k in cls._PARTS else v for k, v in fields.items()})


# The planning config's ``default_io_config``: set by :mod:`ketch.context` (a
# higher module, which holds the planning config) when it is imported.
_default_io_config: Callable[[], IOConfig] = IOConfig


def io_config_json(io_config: IOConfig | None) -> str | None:
    """``io_config`` (or the planning config's default) as JSON for the
    engine; None when neither is set. Raises ``TypeError`` for a non-IOConfig."""
    if io_config is None:
        io_config = _default_io_config()
    if not isinstance(io_config, IOConfig):
        raise TypeError(f"io_config must be an IOConfig, got {type(io_config).__name__}")
    text = io_config._to_json()
    return None if text == "{}" else text
