"""The native runner: plans run on this machine's cores, in ketch's Rust engine
(Daft 0.7.26's ``NativeRunner``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ketch.context import FailedRows, _session
from ketch.runners.observe import TICK_MS, QueryObserver, observe_stream
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
    display_name: ClassVar[str] = "Native (ketch)"

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
        return self._observed(QueryObserver(plan, self.display_name), plan)

    def _observed(self, observer: QueryObserver, plan: PyPlan) -> tuple[pa.RecordBatchReader, pa.RecordBatch]:
        """Runs ``plan`` to completion, reporting to ``observer`` (progress
        bars, subscribers, event log) when anything listens."""
        observer.started()
        try:
            if observer.progress is None:
                result = self._session().collect(plan)
            else:
                tick = observer.tick if observer.active else None
                result = self._session().collect(plan, observer.progress, tick, TICK_MS)
        except BaseException as e:
            observer.failed(e)
            raise
        finally:
            FailedRows.report()
        observer.finished()
        return result

    def explain_analyze(self, plan: PyPlan) -> str:
        observer = QueryObserver(plan, self.display_name, want_progress=True)
        self._observed(observer, plan)
        return observer.progress.explain_analyze() or ""

    def run_iter(self, plan: PyPlan, results_buffer_size: int | None = None) -> pa.RecordBatchReader:
        observer = QueryObserver(plan, self.display_name)
        if not observer.active:
            return self._session().stream(plan)
        observer.started()
        try:
            reader = self._session().stream(plan, observer.progress)
        except BaseException as e:
            observer.failed(e)
            raise
        return observe_stream(reader, observer)

    def num_partitions(self, plan: PyPlan) -> int:
        return self._session().num_partitions(plan)

    def explain(self, plan: PyPlan, physical: bool = True) -> str:
        return self._session().explain(plan, physical)
