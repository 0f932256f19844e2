from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))


@pytest.fixture(scope="session")
def tpch_dir() -> str:
    """TPC-H at scale factor 0.01, each table split into 3 files (multi-partition scans)."""
    from gen_tpch import generate

    return generate(0.01, os.path.join(ROOT, "data", "tpch-sf0.01-parts3"), parts=3)
