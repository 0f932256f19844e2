"""``daft.daft`` (Daft's compiled extension module): the public names ketch has under other modules."""

import enum

from ketch.io_config import *  # noqa: F403  (IOConfig, S3Config, AzureConfig, GCSConfig, HTTPConfig ...)
from ketch.logical import ImageFormat, ImageMode  # noqa: F401


class FileFormat(enum.Enum):
    """Daft's file-format enum; ketch's readers and writers take its member names too."""

    Parquet = "parquet"
    Csv = "csv"
    Json = "json"
    Text = "text"
    Warc = "warc"


class CountMode(enum.Enum):
    """Daft's ``count(mode=...)`` enum; ketch's ``count`` takes its values (``"all"``, ``"valid"``, ``"null"``)."""

    All = "all"
    Valid = "valid"
    Null = "null"
