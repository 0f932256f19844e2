"""Proposes expected-failure entries for the unlisted failures of a conformance run.

Usage::

    python conformance/propose.py OUTCOMES.json [DAFT_FAILURES.json] > proposal.txt

``OUTCOMES.json`` is what the plugin writes with ``KETCH_CONFORMANCE_OUTCOMES``;
``DAFT_FAILURES.json`` the same written by a run of the same files against
``daft==0.7.26`` itself (without ``-p shim``). Tests that fail there too are
grouped under ``daft-fails``; the rest are grouped by their failure message
under ``gap`` (or ``env`` for a missing third-party package, ``internal``
for Daft's internal table API), one entry per test function when all its
parametrizations fail. A reviewer edits the reasons (and moves entries to ``differs`` or
``env`` where that is the truth) before they go into
``expected_failures.txt``.
"""

from __future__ import annotations

import collections
import json
import re
import sys


def _signature(message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else "failed"
    first = re.sub(r"0x[0-9a-f]+", "0x…", first)
    first = re.sub(r"'[^']{40,}'", "'…'", first)
    return first[:160]


GENERIC = [
    (r"^Failed: DID NOT RAISE (.*)", r"accepts what Daft rejects (with \1)"),
    (r"Regex pattern did not match", "raises, with other error text than Daft's"),
    (r"Should have matching result types", "a result type other than Daft's"),
    (r"^(AssertionError: )?assert |Series are different|NA mask are different|DataFrame are different", "wrong values"),
    (r"^Failed: ", "fails a check of the test"),
]


def _section(nodeid: str, message: str) -> str:
    """The list section a failure goes in, by its message (and file, for generic messages)."""
    sig = _signature(message)
    for pattern, reason in GENERIC:
        found = re.search(pattern, sig)
        if found:
            what = found.expand(reason) if found.groups() else reason
            return f"gap: {what} in {nodeid.split('::')[0]}"
    missing = re.search(r"No module named '([\w.]+)'", sig)
    if missing and missing.group(1).startswith("daft."):
        return f"gap: ketch has no module {missing.group(1)}"
    if missing:
        return f"env: needs the {missing.group(1).split('.')[0]} package, not installed here"
    if re.search(r"'(MicroPartition|RecordBatch)' object has no attribute", sig):
        return "internal: Daft's internal MicroPartition/RecordBatch API (not ketch's public API)"
    return f"gap: {sig}"


def main() -> None:
    outcomes = json.load(open(sys.argv[1]))
    daft_failed: set[str] = set()
    if len(sys.argv) > 2:
        daft = json.load(open(sys.argv[2]))
        daft_failed = {n for n, v in daft.items() if not isinstance(v, list) or v[0] == "failed"}
    by_function = collections.defaultdict(list)
    for nodeid, (outcome, _category, message) in outcomes.items():
        by_function[nodeid.split("[")[0]].append((nodeid, outcome, message))
    sections = collections.defaultdict(list)
    for function, items in sorted(by_function.items()):
        failed = [(n, m) for n, o, m in items if o == "failed"]
        if not failed:
            continue
        # A missing third-party package is the reason even where Daft fails too.
        env = [(n, m) for n, m in failed if _section(n, m).startswith("env:")]
        for n, m in env:
            sections[_section(n, m)].append(n)
        failed = [(n, m) for n, m in failed if (n, m) not in env]
        daft_too = [n for n, _ in failed if n in daft_failed]
        rest = [(n, m) for n, m in failed if n not in daft_failed]
        for n in daft_too:
            sections["daft-fails: fails with daft==0.7.26 itself on this machine (the tests are v0.7.24's)"].append(n)
        if not rest:
            continue
        found = collections.Counter(_section(n, m) for n, m in rest)
        if len(rest) == len(items) and not daft_too and not env:
            sections[found.most_common(1)[0][0]].append(function)
        else:
            for n, m in rest:
                sections[_section(n, m)].append(n)
    for header, entries in sorted(sections.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"## {header}")
        for e in entries:
            print(e)
        print()


if __name__ == "__main__":
    main()
