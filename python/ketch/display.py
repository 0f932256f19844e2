"""Text and HTML rendering of tables and schemas in Daft's style.

A box-drawn table: column name and dtype per column (never shortened), cells
cut at ``MAX_CELL`` characters with ``…``, and a line saying how many rows are
shown.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import html
import math
from typing import Any

MAX_CELL = 30
#: Longer side of an image thumbnail in HTML previews, in pixels (Daft's).
THUMBNAIL_SIZE = 128
_BLOCKS = "▁▂▃▄▅▆▇█"


class Cell:
    """A preview cell of a multimodal value: its text, and for images the
    HTML of a thumbnail."""

    __slots__ = ("html", "text")

    def __init__(self, text: str, html_: str | None = None) -> None:
        self.text = text
        self.html = html_


def sparkline(vector: Any) -> str:
    """An embedding as Daft prints it: one block per element, heights scaled
    between the smallest and largest absolute value of the row."""
    mags = [abs(float(v)) for v in vector]
    finite = [m for m in mags if math.isfinite(m)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 0.0)
    span = hi - lo
    out = []
    for m in mags:
        t = (m - lo) / span if span > 0 and math.isfinite(m) else 0.0
        out.append(_BLOCKS[int(math.floor(t * (len(_BLOCKS) - 1) + 0.5))])
    return "".join(out)


def logical_cells(values: list[Any], logical: Any, thumbnails: list[bytes | None] | None = None) -> list[Any]:
    """Preview cells of a multimodal column (Daft's texts: ``<Image>``,
    ``<Tensor shape=(2, 3)>``, an embedding's sparkline, ``Unknown(path: a.txt)``);
    ``thumbnails`` are PNG bytes per image for the HTML preview."""
    kind = "Python" if logical == "Python" else next(iter(logical))
    if kind == "Python":
        return [None if v is None else Cell(repr(v)) for v in values]
    if kind == "File":
        media = logical["File"]
        return [Cell("Null") if v is None else Cell(f"{media}(path: {v.name})") for v in values]
    if kind == "Embedding":
        return [None if v is None else Cell(sparkline(v)) for v in values]
    if kind == "Tensor":
        return [None if v is None else Cell(f"<Tensor shape={tuple(int(d) for d in v.shape)}>") for v in values]
    if kind == "SparseTensor":
        return [
            None if v is None else Cell(f"<SparseTensor shape={tuple(int(d) for d in v['shape'])}>") for v in values
        ]
    if kind in ("FixedShapeTensor", "FixedShapeSparseTensor"):
        return [None if v is None else Cell(f"<{kind}>") for v in values]
    if kind in ("Image", "FixedShapeImage"):
        label = "<Image>" if kind == "Image" else "<FixedShapeImage>"
        cells = []
        for i, v in enumerate(values):
            png = thumbnails[i] if thumbnails is not None else None
            if v is None:
                cells.append(None)
            elif png is None:
                cells.append(Cell(label))
            else:
                src = "data:image/png;base64, " + base64.b64encode(png).decode()
                cells.append(Cell(label, f'<img style="width:auto;height:auto" src="{src}" alt="{label}" />'))
        return cells
    return values


def format_value(value: Any) -> str:
    """One cell as Daft prints it (``None`` for nulls, ``3`` for ``3.0``)."""
    if value is None:
        return "None"
    if isinstance(value, Cell):
        return value.text
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
    header = [list(names), list(dtypes)]  # Daft never shortens names and types
    rows = []
    if columns:
        nrows = len(columns[0])
        rows = [[_cut(format_value(col[r])) for col in columns] for r in range(nrows)]
    return box(header, rows, body=columns is not None) + "\n\n" + footer


def schema_text(names: list[str], dtypes: list[str]) -> str:
    rows = [[n, d] for n, d in zip(names, dtypes)]
    return box([["Column Name", "DType"]], rows, body=True)


def _html_cell(value: Any) -> str:
    if isinstance(value, Cell) and value.html is not None:
        return value.html
    return html.escape(_cut(format_value(value), 200))


def table_html(names: list[str], dtypes: list[str], columns: list[list[Any]] | None, footer: str) -> str:
    """The HTML of a DataFrame preview for notebooks, in Daft's markup (a fixed
    layout table when materialized; image cells are ``<img>`` thumbnails)."""
    if columns is None:
        style = "text-wrap: nowrap; max-width:192px; overflow:auto; text-align:left"
        cells = [f'<th style="{style}">{html.escape(n)}<br />{html.escape(d)}</th>' for n, d in zip(names, dtypes)]
        head = "".join(cells)
        return (
            '<div>\n<table class="dataframe">\n'
            f"<thead><tr>{head}</tr></thead>\n</table>\n"
            f"<small>{html.escape(footer)}</small>\n</div>"
        )
    width = f"width: calc(100vw / {max(len(names), 1)}); min-width: 192px"
    th = f"text-wrap: nowrap; {width}; overflow: hidden; text-overflow: ellipsis; text-align:left"
    td = (
        f"text-align:left; {width}; max-height: 100px; overflow: hidden; text-overflow: ellipsis; "
        "word-wrap: break-word; overflow-y: auto"
    )
    head = "".join(f'<th style="{th}">{html.escape(n)}<br />{html.escape(d)}</th>' for n, d in zip(names, dtypes))
    body = ""
    nrows = len(columns[0]) if columns else 0
    for r in range(nrows):
        cells = "".join(
            f'<td data-row="{r}" data-col="{c}"><div style="{td}">{_html_cell(col[r])}</div></td>'
            for c, col in enumerate(columns)
        )
        body += f"<tr>{cells}</tr>\n"
    return (
        '<div>\n<table class="dataframe" style="table-layout: fixed; min-width: 100%">\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n"
        f"<small>{html.escape(footer)}</small>\n</div>"
    )
