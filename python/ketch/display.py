"""Text and HTML rendering of tables and schemas in Daft's style.

A box-drawn table: column name and dtype per column, cells cut at
``MAX_CELL`` characters with ``…``, and a line saying how many rows are shown.
"""

from __future__ import annotations

import datetime
import decimal
import html
import math
from typing import Any

MAX_CELL = 30


def format_value(value: Any) -> str:
    """One cell as Daft prints it (``None`` for nulls, ``3`` for ``3.0``)."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time, decimal.Decimal)):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return repr(value)
    return str(value)


def _cut(text: str, width: int = MAX_CELL) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 1] + "…"


def box(header: list[list[str]], rows: list[list[str]], body: bool | None = None) -> str:
    """A Daft-style box table: ``header`` lines (joined by ``---``), then rows.

    ``body`` draws the header/body rule even without rows (a materialized but
    empty table); by default it is drawn when there are rows."""
    ncols = len(header[0]) if header else 0
    widths = [0] * ncols
    for line in header + rows:
        for i, cell in enumerate(line):
            widths[i] = max(widths[i], len(cell))

    def line(cells: list[str]) -> str:
        return "│ " + " ┆ ".join(c.ljust(w) for c, w in zip(cells, widths)) + " │"

    def rule(left: str, mid: str, right: str, fill: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + right

    out = [rule("╭", "┬", "╮", "─")]
    for i, h in enumerate(header):
        if i:
            out.append(line(["---"] * ncols))
        out.append(line(h))
    if rows or body:
        out.append(rule("╞", "╪", "╡", "═"))
        for i, r in enumerate(rows):
            if i:
                out.append(rule("├", "┼", "┤", "╌"))
            out.append(line(r))
    out.append(rule("╰", "┴", "╯", "─"))
    return "\n".join(out)


def table_text(names: list[str], dtypes: list[str], columns: list[list[Any]] | None, footer: str) -> str:
    """The text of a DataFrame preview; ``columns`` None means not materialized."""
    header = [[_cut(n) for n in names], [_cut(d) for d in dtypes]]
    rows = []
    if columns:
        nrows = len(columns[0])
        rows = [[_cut(format_value(col[r])) for col in columns] for r in range(nrows)]
    return box(header, rows, body=columns is not None) + "\n\n" + footer


def schema_text(names: list[str], dtypes: list[str]) -> str:
    rows = [[n, d] for n, d in zip(names, dtypes)]
    return box([["Column Name", "DType"]], rows, body=True)


def table_html(names: list[str], dtypes: list[str], columns: list[list[Any]] | None, footer: str) -> str:
    """The HTML of a DataFrame preview for notebooks."""
    style = "text-wrap: nowrap; max-width:192px; overflow:auto; text-align:left"
    head = "".join(f'<th style="{style}">{html.escape(n)}<br />{html.escape(d)}</th>' for n, d in zip(names, dtypes))
    body = ""
    if columns:
        nrows = len(columns[0])
        for r in range(nrows):
            cells = "".join(
                f'<td><div style="{style}">{html.escape(_cut(format_value(c[r]), 200))}</div></td>' for c in columns
            )
            body += f"<tr>{cells}</tr>\n"
    body_html = f"<tbody>\n{body}</tbody>\n" if body else ""
    return (
        '<div>\n<table class="dataframe">\n'
        f"<thead><tr>{head}</tr></thead>\n{body_html}</table>\n"
        f"<small>{html.escape(footer)}</small>\n</div>"
    )
