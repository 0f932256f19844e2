"""``daft.api_annotations``: Daft's ``APITypeError`` (a ``TypeError``), which ketch raises too."""

from ketch.exceptions import APITypeError  # noqa: F401
