"""``daft.logical.schema``: where Daft defines ``Schema`` and ``Field``."""

from ketch.datatype import DataType, TimeUnit  # noqa: F401
from ketch.schema import Field, Schema  # noqa: F401
