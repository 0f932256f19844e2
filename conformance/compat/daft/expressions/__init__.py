"""``daft.expressions``: ketch's, plus Daft's internal ``ExpressionsProjection``."""

from __future__ import annotations

import ketch
from ketch.expressions import *  # noqa: F403
from ketch.expressions import Expression, col, lit  # noqa: F401
from ketch.schema import Schema


class ExpressionsProjection(list):
    """A list of expressions (Daft's internal projection helper)."""

    def resolve_schema(self, schema: Schema) -> Schema:
        """The schema ``select(*self)`` has over an input of ``schema``; ketch's planning
        error (a ValueError, as Daft's) when the expressions do not type-check."""
        return ketch.from_arrow(schema.to_pyarrow_schema().empty_table()).select(*self).schema()

    def to_name_set(self) -> set[str]:
        return {e.name() for e in self}
