"""Daft's own UDF documentation examples, run unchanged against ketch.

The examples are the doctests in daft==0.7.26's docstrings of ``daft.func``,
``daft.func.batch``, ``daft.cls``, ``daft.method``, ``daft.udf``,
``Expression.apply`` and ``GroupedDataFrame.map_groups``. While they run,
``import daft`` gives ``ketch`` (what a user gets with ``import ketch as
daft``), and their printed tables must match Daft's expected output.
"""

from __future__ import annotations

import doctest
import sys
import warnings

import daft
import pytest

import ketch

SOURCES = {
    "func": type(daft.func).__call__,
    "func.batch": type(daft.func).batch,
    "cls": daft.cls,
    "method": type(daft.method).__call__,
    "method.batch": type(daft.method).batch,
    "udf": daft.udf,
    "Expression.apply": daft.Expression.apply,
    "GroupedDataFrame.map_groups": daft.dataframe.dataframe.GroupedDataFrame.map_groups,
}

TESTS = [t for name, obj in SOURCES.items() for t in doctest.DocTestFinder(recurse=False).find(obj, name) if t.examples]


def test_the_examples_were_found():
    assert sum(len(t.examples) for t in TESTS) >= 50
    assert {t.name for t in TESTS} >= {"func", "func.batch", "cls", "udf", "Expression.apply"}


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_daft_doc_example_runs_on_ketch(test, monkeypatch):
    monkeypatch.setitem(sys.modules, "daft", ketch)
    test.globs = {"daft": ketch}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        result = runner.run(test, out=report.append)
    assert result.attempted > 0
    assert result.failed == 0, "".join(report)
