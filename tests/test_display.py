"""Display output compared with Daft 0.7.26's, captured from the same calls."""

from __future__ import annotations

import ketch
from ketch import col

DAFT_REPR = """\
╭────────────────────────────────┬─────────╮
│ s                              ┆ n       │
│ ---                            ┆ ---     │
│ String                         ┆ Float64 │
╞════════════════════════════════╪═════════╡
│ aaaaaaaaaaaaaaaaaaaaaaaaaaaaa… ┆ 1       │
├╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌┼╌╌╌╌╌╌╌╌╌┤
│ short                          ┆ 2.5     │
╰────────────────────────────────┴─────────╯

(Showing first 2 of 2 rows)"""

DAFT_EMPTY = """\
╭────────┬─────────╮
│ s      ┆ n       │
│ ---    ┆ ---     │
│ String ┆ Float64 │
╞════════╪═════════╡
╰────────┴─────────╯

(No data to display: Materialized dataframe has no rows)"""

DAFT_LAZY = """\
╭───────╮
│ a     │
│ ---   │
│ Int64 │
╰───────╯

(No data to display: Dataframe not materialized, use .collect() to materialize)"""

DAFT_SCHEMA = """\
╭─────────────┬─────────╮
│ Column Name ┆ DType   │
╞═════════════╪═════════╡
│ s           ┆ String  │
├╌╌╌╌╌╌╌╌╌╌╌╌╌┼╌╌╌╌╌╌╌╌╌┤
│ n           ┆ Float64 │
╰─────────────┴─────────╯
"""


def frame():
    return ketch.from_pydict({"s": ["a" * 50, "short"], "n": [1.0, 2.5]})


def test_repr_matches_daft():
    assert repr(frame()) == DAFT_REPR


def test_empty_and_lazy_repr_match_daft():
    assert repr(frame().where(col("n") > 10).collect()) == DAFT_EMPTY
    assert repr(ketch.from_pydict({"a": [1]}).select(col("a") + 1)) == DAFT_LAZY


def test_schema_repr_matches_daft():
    assert repr(frame().schema()) == DAFT_SCHEMA


def test_show_prints_first_rows(capsys):
    frame().show(1)
    out = capsys.readouterr().out
    assert "(Showing first 1 of 2 rows)" in out
    assert "short" not in out
    ketch.range(20).where(col("id") > 2).show(3)
    out = capsys.readouterr().out
    assert "│ 3     │" in out and "│ 5     │" in out and "│ 6" not in out
    assert "(Showing first 3 rows)" in out
    ketch.range(20).where(col("id") > 17).show(3)
    assert "(Showing first 2 of 2 rows)" in capsys.readouterr().out  # Daft: fewer than n rows is all of them


def test_repr_shows_at_most_eight_rows():
    text = repr(ketch.range(20).collect())
    assert "(Showing first 8 of 20 rows)" in text
    assert "│ 7     │" in text and "│ 8     │" not in text


def test_html_repr():
    html = frame()._repr_html_()
    assert html.startswith("<div>") and "<th" in html and "String" in html and "short" in html
    lazy = ketch.from_pydict({"a": [1]}).select(col("a"))._repr_html_()
    assert "not materialized" in lazy


def test_cells_format_like_daft():
    import datetime

    df = ketch.from_pydict({"b": [True, None], "l": [[1, None], []], "d": [datetime.date(2020, 1, 2), None]})
    text = repr(df)
    assert "│ true" in text and "[1, None]" in text and "2020-01-02" in text and "None" in text


def test_html_markup_matches_daft():
    import daft

    data = {"a": [1, None], "s": ["x<y", "z"]}
    assert ketch.from_pydict(data)._repr_html_() == daft.from_pydict(data)._repr_html_()
