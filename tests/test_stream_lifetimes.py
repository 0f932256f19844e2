"""Streams abandoned while they hold Python errors are released safely.

A Python UDF call holds the GIL; Python's garbage collector, running inside
it, may close a reader of another query that was abandoned mid-stream
(``next(df.iter_partitions())`` and nothing more). pyarrow releases the GIL to
close it, and the stream's buffered error holds a Python exception: dropping
that on the UDF's thread decref'd it without the GIL and aborted the process
(found by Daft's tests/dataframe/test_iter.py, about one run in seven).
"""

from __future__ import annotations

import gc
import sys

import ketch
from ketch import col


class _LateFailure(Exception):
    pass


def test_abandoned_stream_with_error_closed_inside_udf() -> None:
    # Aborted the process every time before the fix (Daft's test_iter pattern).
    for _ in range(20):

        @ketch.func.batch(return_dtype=ketch.DataType.int64())
        def fail_late(s):
            if max(s.to_pylist()) >= 199:
                raise _LateFailure("late")
            return s

        with ketch.execution_config_ctx(default_morsel_size=2):
            df = ketch.from_pydict({"a": list(range(200))}).into_partitions(100)
            df = df.with_column("b", fail_late(col("a")))
            # Held where the UDF below reaches it without pickling it (a UDF's
            # closure must pickle; the sys module pickles by reference).
            sys._ketch_abandoned_streams = [df.iter_partitions()]
            assert next(sys._ketch_abandoned_streams[0]).num_rows > 0

        @ketch.func.batch(return_dtype=ketch.DataType.int64())
        def drop_stream(s):
            sys._ketch_abandoned_streams.clear()  # closes the abandoned reader here
            gc.collect()
            return s

        assert ketch.from_pydict({"x": [1, 2]}).select(drop_stream(col("x"))).to_pydict() == {"x": [1, 2]}
