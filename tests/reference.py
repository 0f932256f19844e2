"""Comparison helpers for tests that check ketch against a reference engine."""

from __future__ import annotations

import decimal
import math


def close(a, b) -> bool:
    """Equal, or for numbers within 1e-9 relative; a Decimal result may also
    differ by one unit in its last place (DataFusion's and Daft's decimal
    ``mean`` has scale + 4 digits, DuckDB's ``avg`` is a double)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (float, decimal.Decimal, int)) and isinstance(b, (float, decimal.Decimal, int)):
        if isinstance(a, bool) or isinstance(b, bool):
            return a == b
        ulp = 10.0 ** a.as_tuple().exponent if isinstance(a, decimal.Decimal) else 0.0
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=max(1e-9, ulp))
    return a == b


def _key(row) -> tuple:
    return tuple(
        (0, round(float(v), 4))
        if isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)
        else (1, "")
        if v is None
        else (2, str(v))
        for v in row
    )


def assert_rows_match(got: dict[str, list], names: list[str], rows: list[tuple], ordered: bool = True) -> None:
    """``got`` (a to_pydict result) equals the reference ``rows`` with column
    ``names``; with ``ordered=False`` the rows are compared as multisets."""
    assert list(got) == names, (list(got), names)
    got_rows = list(zip(*got.values())) if got else []
    assert len(got_rows) == len(rows), (len(got_rows), len(rows))
    if not ordered:
        got_rows, rows = sorted(got_rows, key=_key), sorted(rows, key=_key)
    for g, e in zip(got_rows, rows):
        assert all(close(x, y) for x, y in zip(g, e)), (g, e)
