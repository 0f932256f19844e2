"""The runner seam (Daft 0.7.26's ``daft.runners.runner.Runner``): the one
place where a query runs.

Every path that executes anything (``collect``, ``show``, iteration, the
``to_*`` conversions, writes, ``num_partitions``, ``explain``, the Delta,
Iceberg and Lance writers, SQL) hands a plan to the current runner
(:func:`ketch.runners.get_or_create_runner`). A runner takes a plan
(``ketch._native.PyPlan``) and returns Arrow batches; how and where the plan
runs (threads on this machine, tasks on a Ray cluster) is its business.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import pyarrow as pa

    from ketch._native import PyPlan


class Runner(abc.ABC):
    """Runs plans. ``name`` is ``"native"`` or ``"ray"``, as in Daft."""

    name: ClassVar[str]

    @abc.abstractmethod
    def run(self, plan: PyPlan) -> pa.RecordBatchReader:
        """Runs ``plan`` to completion: an iterator of its result batches
        (``pyarrow.RecordBatchReader``, its ``read_all()`` the table), rows
        in the DataFrame's order. Raises the query's error
        (``DaftCoreException``, ``UDFException``, ...) and
        ``KeyboardInterrupt`` on Ctrl-C."""

    @abc.abstractmethod
    def run_iter(self, plan: PyPlan, results_buffer_size: int | None = None) -> pa.RecordBatchReader:
        """Starts ``plan`` and yields its batches as they are produced, in the
        order :meth:`run` gives them."""

    def run_with_metrics(self, plan: PyPlan) -> tuple[pa.RecordBatchReader, pa.RecordBatch | None]:
        """:meth:`run`, and what each operator did (``DataFrame.metrics``'s
        record batch), or ``None`` from a runner that reports none."""
        return self.run(plan), None

    def run_write(self, plan: PyPlan) -> pa.Table:
        """Runs a write plan (``PyPlan.write``): its result is Daft's table of
        written files (``path`` and the partition columns). The files are
        committed when this returns; a failure leaves the target as it was."""
        return self.run(plan).read_all()

    @abc.abstractmethod
    def num_partitions(self, plan: PyPlan) -> int:
        """The number of partitions the plan produces on this runner."""

    def explain_analyze(self, plan: PyPlan) -> str:
        """Runs ``plan`` and returns what each operator did, one line per
        operator (from :meth:`run_with_metrics`; the native runner gives
        DataFusion's annotated plan instead). Raises ``ValueError`` on a
        runner that reports no metrics."""
        _, metrics = self.run_with_metrics(plan)
        if metrics is None:
            raise ValueError(f"the {self.name} runner reports no metrics to explain")
        lines = []
        for row in metrics.to_pylist():
            stats = ", ".join(f"{name}={stat['value']:g}" for name, stat in row["stats"])
            lines.append(f"{row['id']}: {row['name']} ({row['category']}): {stats}")
        return "\n".join(lines)

    @abc.abstractmethod
    def explain(self, plan: PyPlan, physical: bool = True) -> str:
        """The optimized logical plan, the scans' pushdowns and, with
        ``physical``, the plan this runner would run."""

    def run_iter_tables(self, plan: PyPlan, results_buffer_size: int | None = None) -> Iterator[pa.RecordBatch]:
        """Daft's spelling of :meth:`run_iter`."""
        yield from self.run_iter(plan, results_buffer_size)
