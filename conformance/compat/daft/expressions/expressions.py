from daft.expressions import *  # noqa: F403
from daft.expressions import Expression, ExpressionsProjection, col, lit  # noqa: F401
