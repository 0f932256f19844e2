"""`make test` runs `cargo test` of the workspace without the bindings, and
`make develop` builds the bindings with maturin: both must resolve the same
features for every shared dependency, or cargo compiles the DataFusion stack
twice (a feature only the bindings enable, such as arrow's `ffi` through
arrow-pyarrow, changes the fingerprint of every crate above it)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def features(*args: str) -> dict[str, str]:
    out = subprocess.run(
        ["cargo", "tree", "--locked", "--offline", "-f", "{p}|{f}", "--prefix", "none", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # cargo marks a package printed before with " (*)"
    return dict(line.removesuffix(" (*)").split("|", 1) for line in out.splitlines() if "|" in line)


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs the Rust toolchain that `make test` builds with")
def test_cargo_test_and_maturin_share_one_dependency_build():
    tests = features("--workspace", "--exclude", "ketch-python", "-e", "normal,build,dev")
    bindings = features("-p", "ketch-python", "-e", "normal,build")
    shared = tests.keys() & bindings.keys()
    assert any(p.startswith("datafusion v") for p in shared)
    differ = {p: (tests[p], bindings[p]) for p in shared if tests[p] != bindings[p]}
    assert differ == {}
    # What only the bindings build is their own: pyo3 and the pyarrow bridge, nothing under DataFusion.
    only = {p.split(" ")[0] for p in bindings.keys() - tests.keys()}
    assert only <= {
        "ketch-python",
        "arrow-pyarrow",
        "pyo3",
        "pyo3-ffi",
        "pyo3-macros",
        "pyo3-macros-backend",
        "pyo3-build-config",
        "target-lexicon",
    }
