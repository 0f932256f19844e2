"""The native runner: plans run on this machine's cores, in ketch's Rust engine
(Daft 0.7.26's ``NativeRunner``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ketch.context import FailedRows, _session
from ketch.runners.runner import Runner

if TYPE_CHECKING:
    import pyarrow as pa

    from ketch._native import PyPlan, PySession


class NativeRunner(Runner):
    """Runs each plan's partitions in parallel on ``num_threads`` threads
    (default: every core), streaming batches through DataFusion's operators
    and ketch's (``crates/ketch-exec/src/runner.rs``).

    >>> import ketch
    >>> runner = ketch.set_runner_native()
    >>> runner.name
    'native'
    >>> runner.run(ketch.from_pydict({"a": [1, 2]})._plan).read_all().to_pydict()
    {'a': [1, 2]}
    """

    name: ClassVar[str] = "native"

    def __init__(self, num_threads: int | None = None) -> None:
        if num_threads is not None and (
            isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1
        ):
            raise ValueError(f"num_threads must be a positive int, got {num_threads!r}")
        self.num_threads = num_threads

    def _session(self) -> PySession:
        return _session()

    def run(self, plan: PyPlan) -> pa.RecordBatchReader:
        return self.run_with_metrics(plan)[0]

    def run_with_metrics(self, plan: PyPlan) -> tuple[pa.RecordBatchReader, pa.RecordBatch]:
        try:
            return self._session().collect(plan)
        finally:
            FailedRows.report()

    def run_iter(self, plan: PyPlan, results_buffer_size: int | None = None) -> pa.RecordBatchReader:
        return self._session().stream(plan)

    def num_partitions(self, plan: PyPlan) -> int:
        return self._session().num_partitions(plan)

    def explain(self, plan: PyPlan, physical: bool = True) -> str:
        return self._session().explain(plan, physical)
