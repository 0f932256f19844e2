"""User-defined functions, as Daft 0.7.26 runs them: ``func`` (row-wise,
async, generator, ``func.batch``), ``cls`` with ``method`` (stateful class
UDFs) and the legacy ``udf`` decorator. See ``execution`` for how batches run."""

from ketch.udf.func import Func, cls, func, method
from ketch.udf.legacy import UDF, udf
from ketch.udf.udaf import udaf

__all__ = ["UDF", "Func", "cls", "func", "method", "udaf", "udf"]
