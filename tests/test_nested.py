"""List lambdas (``list_map`` / ``list_filter`` over ``element()``), ``explode``
and ``unnest`` inside ``select``, ``expr[...]`` access (``expr["*"]`` too) and
``with_columns`` over struct fields, against daft==0.7.26."""

from __future__ import annotations

import daft
import pytest

import ketch

DATA = {"l": [[1, 2, 3], [], None, [None, 5]], "s": [{"a": 1, "b": "x"}, {"a": 2, "b": None}, None, {"a": 4, "b": "z"}]}


def _cases(mod):
    F, col, element = mod.functions, mod.col, mod.element
    return {
        "list_map": lambda d: d.select(col("l").list_map(element() * 2)),
        "list_filter": lambda d: d.select(F.list_filter(col("l"), element() > 1)),
        "explode": lambda d: d.select(col("s"), F.explode(col("l"))),
        "unnest": lambda d: d.select(F.unnest(col("s"))),
        "unnest_method": lambda d: d.select(col("l"), col("s").unnest()),
        "getitem": lambda d: d.select(col("s")["a"], col("l")[0], col("l")[-1].alias("last")),
        "slice": lambda d: d.select(col("l")[1:3]),
        "star": lambda d: d.select(col("s")["*"], col("l")),
        # with_columns over struct fields: read, replace a struct, nest and reach through.
        "with_fields": lambda d: d.with_columns({"a": col("s")["a"] + 1, "b": col("s").get("b")}),
        "with_struct": lambda d: d.with_column("s", F.to_struct(a=col("s")["a"] * 10, b=col("s")["b"])),
        "with_nested": lambda d: d.with_column("z", F.to_struct(t=col("s"))).with_column("zz", col("z")["t"]["a"]),
    }


@pytest.mark.parametrize("name", list(_cases(ketch)))
def test_nested_matches_daft(name):
    def run(mod):
        out = _cases(mod)[name](mod.from_pydict(DATA))
        return out.to_pydict(), [(f.name, str(f.dtype)) for f in out.schema()]

    assert run(ketch) == run(daft)


def test_monotonically_increasing_id():
    # Daft 0.7.26 names the column "id-<uuid>" (with an empty schema name); ketch names it "id".
    out = ketch.from_pydict(DATA).select(ketch.functions.monotonically_increasing_id(), ketch.col("l"))
    assert out.to_pydict()["id"] == [0, 1, 2, 3]
    assert str(out.schema()["id"].dtype) == "UInt64"


def test_markers_outside_select_are_errors():
    df = ketch.from_pydict(DATA)
    with pytest.raises(ValueError, match="explode"):
        df.select(ketch.functions.explode(ketch.col("l")) + 1).collect()
