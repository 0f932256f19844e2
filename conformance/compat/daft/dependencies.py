"""``daft.dependencies``: Daft's lazily imported third-party modules, imported eagerly here."""

import numpy as np  # noqa: F401
import pandas as pd  # noqa: F401
import pyarrow as pa  # noqa: F401
import pyarrow.compute as pc  # noqa: F401
import pyarrow.fs as pafs  # noqa: F401
import pyarrow.parquet as pq  # noqa: F401
