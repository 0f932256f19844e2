"""The conformance run: Daft's own tests against ketch, with a list of expected failures.

Loaded with ``-p plugin`` (after ``-p shim``) from ``make conformance``. The
list, ``expected_failures.txt`` next to this file, is a sequence of sections::

    ## <category>: <reason>
    tests/dir/test_file.py::test_name[param]   (one test)
    tests/dir/test_file.py::test_name          (every parametrization)
    tests/dir/test_file.py                     (the whole file, e.g. an import error)

Every test an entry covers must fail (strict xfail; a ``flaky`` entry may
also pass): one that passes fails the run, and so does a failure the list does not cover, or an entry that no longer
matches anything, so the list only shrinks. A file that cannot be imported
counts as one expected failure when listed. At the end a table gives, per
directory, the items run, passed, and expected failures by category; with
``KETCH_CONFORMANCE_SUMMARY=path`` the same counts are written as JSON, and
with ``KETCH_CONFORMANCE_OUTCOMES=path`` every item's outcome, category and,
for an unlisted failure, its message (``propose.py`` turns those into list
entries).
"""

from __future__ import annotations

import collections
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

LIST = Path(__file__).with_name("expected_failures.txt")


@dataclass
class Entry:
    nodeid: str
    category: str
    reason: str
    used: bool = False


@dataclass
class State:
    entries: list[Entry] = field(default_factory=list)
    by_id: dict[str, Entry] = field(default_factory=dict)
    outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)  # nodeid -> (outcome, category)
    ran_files: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)  # nodeid -> the message of an unlisted failure


STATE = State()


def _load() -> list[Entry]:
    entries, category, reason = [], None, None
    for number, raw in enumerate(LIST.read_text().splitlines(), 1):
        line = raw.split("  #", 1)[0].strip()
        if not line or (line.startswith("#") and not line.startswith("##")):
            continue
        if line.startswith("##"):
            category, _, reason = line[2:].strip().partition(":")
            category, reason = category.strip(), reason.strip()
            if not reason:
                raise pytest.UsageError(f"{LIST}:{number}: a section needs '## category: reason'")
            continue
        if category is None:
            raise pytest.UsageError(f"{LIST}:{number}: an entry before any '## category: reason' line")
        entries.append(Entry(line, category, reason))
    return entries


def _match(nodeid: str) -> Entry | None:
    """The entry covering ``nodeid``: itself, its test function, its class or its file."""
    base = nodeid.split("[", 1)[0]
    parts = base.split("::")
    for candidate in [nodeid, base, *("::".join(parts[:i]) for i in range(len(parts) - 1, 0, -1))]:
        entry = STATE.by_id.get(candidate)
        if entry is not None:
            return entry
    return None


def pytest_configure(config):
    STATE.entries = _load()
    STATE.by_id = {e.nodeid: e for e in STATE.entries}
    config.addinivalue_line("markers", "integration: Daft's marker for tests with external services")


def _record(nodeid: str, outcome: str, message: str = "") -> None:
    entry = _match(nodeid)
    STATE.ran_files.add(nodeid.split("::")[0])
    if entry is not None:
        entry.used = True
    previous = STATE.outcomes.get(nodeid, ("passed", ""))[0]
    if previous == "passed" or outcome in ("failed", "xpassed"):
        STATE.outcomes[nodeid] = (outcome, entry.category if entry is not None else "")
        if outcome == "failed":
            STATE.messages[nodeid] = message


EXPECTED = "expected failure"


@pytest.hookimpl(tryfirst=True)
def pytest_collectreport(report):
    """A listed file that cannot be imported is one expected failure (a skip, with the reason)."""
    if report.failed and report.nodeid:
        entry = _match(report.nodeid)
        if entry is None:
            _record(report.nodeid, "failed", _message(report))
            return
        report.outcome = "skipped"
        report.longrepr = (report.nodeid, 0, f"{EXPECTED} ({entry.category}): {entry.reason}")
    if report.skipped and isinstance(report.longrepr, tuple) and str(report.longrepr[2]).startswith(EXPECTED):
        _record(report.nodeid, "xfailed")


def pytest_collection_modifyitems(items):
    for item in items:
        entry = _match(item.nodeid)
        if entry is not None:
            strict = entry.category != "flaky"  # a flaky entry may pass or fail; every other must fail
            item.add_marker(pytest.mark.xfail(strict=strict, reason=f"{entry.category}: {entry.reason}"))


def pytest_runtest_logreport(report):
    if report.when != "call" and report.outcome == "passed":
        return
    if hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "xpassed"
    elif report.failed and str(report.longrepr).startswith("[XPASS(strict)]"):
        outcome = "xpassed"
    else:
        outcome = report.outcome
    _record(report.nodeid, outcome, _message(report) if outcome == "failed" else "")


def _message(report) -> str:
    """The failure's message: the crash line, or the last ``E`` line of a collection error."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message
    errors = [line[1:].strip() for line in str(report.longrepr).splitlines() if line.startswith("E ")]
    return errors[-1] if errors else str(report.longrepr)[-300:]


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller sees every report and sums up
    stale = [e for e in STATE.entries if not e.used and e.nodeid.split("::")[0] in STATE.ran_files]
    table = collections.defaultdict(collections.Counter)
    for nodeid, (outcome, category) in STATE.outcomes.items():
        directory = "/".join(nodeid.split("::")[0].split("/")[:2])
        counts = table[directory]
        counts["items"] += 1
        counts[outcome if outcome != "xfailed" else f"xfail:{category}"] += 1
    STATE.errors = [f"listed, matches nothing: {e.nodeid}" for e in stale]
    if os.environ.get("KETCH_CONFORMANCE_SUMMARY"):
        Path(os.environ["KETCH_CONFORMANCE_SUMMARY"]).write_text(
            json.dumps({d: dict(c) for d, c in sorted(table.items())}, indent=1)
        )
    if os.environ.get("KETCH_CONFORMANCE_OUTCOMES"):
        outcomes = {n: [o, c, STATE.messages.get(n, "")] for n, (o, c) in STATE.outcomes.items()}
        Path(os.environ["KETCH_CONFORMANCE_OUTCOMES"]).write_text(json.dumps(outcomes, indent=0))
    session.config._conformance_table = table
    # The verdict is the list's: pytest also counts listed files that cannot
    # be imported as failures (its own collect-report hook runs before ours).
    # A flaky entry's pass is expected (its entry is not strict).
    unexpected = any(o == "failed" or (o == "xpassed" and c != "flaky") for o, c in STATE.outcomes.values())
    if stale or unexpected:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif session.exitstatus == pytest.ExitCode.TESTS_FAILED:
        session.exitstatus = pytest.ExitCode.OK


def pytest_terminal_summary(terminalreporter, config):
    table = getattr(config, "_conformance_table", None)
    if not table:
        return
    tr = terminalreporter
    tr.section("Daft's tests on ketch")
    categories = sorted({k for c in table.values() for k in c if k.startswith("xfail:")})
    header = ["directory", "items", "passed", *[c[6:] for c in categories], "skipped", "failed", "xpassed"]
    tr.write_line("  ".join(f"{h:>12}" for h in header))
    for directory, c in sorted(table.items()):
        row = [directory, c["items"], c["passed"], *[c[k] for k in categories], c["skipped"], c["failed"], c["xpassed"]]
        tr.write_line("  ".join(f"{v:>12}" for v in row))
    for error in STATE.errors:
        tr.write_line(error)
