"""Web pages of runs and sweeps: one self-contained HTML file each.

Every page is a single file that works offline and when mailed: its style and
its one script (sorting a table by a click on a column's header) are inline,
figures are embedded as data URIs (PNG or SVG; a PDF figure is linked), and
links lead to local files (next to it, or a compared sweep's page). Nothing is
fetched from anywhere.

This module only writes markup: :mod:`.report`, :mod:`.index` and
:mod:`.compare` decide what a page holds.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

#: how figures are embedded, by file suffix (PDF has no inline form in a page: linked)
INLINE = {".png": "image/png", ".svg": "image/svg+xml"}

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1180px;
       padding: 0 16px; color: #1d2330; }
h1 { font-size: 22px; margin-bottom: 2px; } h2 { font-size: 17px; margin-top: 28px;
     border-bottom: 1px solid #d8dce4; padding-bottom: 3px; }
.muted { color: #687083; } code, pre { font: 12.5px/1.4 ui-monospace, monospace; }
pre { background: #f4f6f9; padding: 8px 10px; overflow-x: auto; border-radius: 4px; }
.badge { display: inline-block; padding: 1px 8px; margin-right: 6px; border-radius: 10px;
         background: #eceff4; font-size: 12.5px; }
.ok { background: #dcefdc; } .diverged, .failed { background: #f6d9d6; }
.interrupted, .pruned { background: #f5ecd0; }
.scroll { overflow-x: auto; max-height: 560px; overflow-y: auto; }
table { border-collapse: collapse; font-size: 12.5px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e5e8ee; text-align: right;
         white-space: nowrap; }
th { position: sticky; top: 0; background: #f4f6f9; cursor: pointer; user-select: none; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
th[aria-sort=descending]::after { content: " \\25BC"; }
td.text, th.text { text-align: left; }
.figures { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: flex-start; }
figure { margin: 0; max-width: 100%; } figure img { max-width: 100%; height: auto; }
figcaption { color: #687083; font-size: 12.5px; }
"""

#: sorts a table by the clicked header: numbers by value (empty cells last), else as text
SCRIPT = """
document.querySelectorAll("table.sortable th").forEach(function (th, _) {
  th.addEventListener("click", function () {
    var table = th.closest("table"), body = table.tBodies[0];
    var column = Array.prototype.indexOf.call(th.parentNode.children, th);
    var up = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", up ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    function key(row) {
      var cell = row.cells[column], value = cell.getAttribute("data-value");
      return value === null ? cell.textContent : value;
    }
    var numeric = rows.every(function (r) { var k = key(r); return k === "" || !isNaN(k); });
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === "" || y === "") { return (x === "") - (y === ""); }
      var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return up ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""


def escape(text) -> str:
    return html.escape(str(text), quote=True)


def cell_text(value) -> str:
    """A table value as shown: numbers to 4 significant digits, missing values empty."""
    if _missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)


def file_size(n: float) -> str:
    """Bytes as read: ``512 B``, ``17.9 kB``, ``3.2 MB``, ``1.4 GB``."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array: a value
        return False


def _sort_value(value) -> str | None:
    """The ``data-value`` a number sorts by (its full precision, empty when missing);
    None for text."""
    if _missing(value):
        return ""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)):
        number = float(value)
        return repr(number) if np.isfinite(number) else "Infinity" if number > 0 \
            else "-Infinity"  # what JavaScript's Number() reads
    return None


def table(frame: pd.DataFrame, caption: str = "", links: dict[str, Sequence] | None = None,
          table_id: str = "") -> str:
    """``frame`` as a sortable table; ``links`` maps a column to one href per row."""
    links = links or {}
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(
        frame[c]) for c in frame.columns}
    head = "".join(f'<th class="{"" if numeric[c] else "text"}" scope="col">{escape(c)}</th>'
                   for c in frame.columns)
    rows = []
    for i, record in enumerate(frame.itertuples(index=False)):
        cells = []
        for column, value in zip(frame.columns, record):
            sort = _sort_value(value)
            attributes = f' data-value="{sort}"' if sort is not None else ""
            attributes += "" if numeric[column] else ' class="text"'
            text = escape(cell_text(value))
            if column in links and links[column][i]:
                text = f'<a href="{escape(links[column][i])}">{text}</a>'
            cells.append(f"<td{attributes}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    ident = f' id="{escape(table_id)}"' if table_id else ""
    caption = f"<caption class=\"muted\">{escape(caption)}</caption>" if caption else ""
    return (f'<div class="scroll"><table class="sortable"{ident}>{caption}<thead><tr>{head}'
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def figure(path: Path, caption: str = "") -> str:
    """A figure file embedded in the page (PNG, SVG), or linked (PDF)."""
    caption = caption or path.stem.replace("_", " ")
    kind = INLINE.get(path.suffix.lower())
    if kind is None:
        return (f'<p><a href="{escape(path.name)}">{escape(path.name)}</a> '
                f'<span class="muted">({escape(caption)})</span></p>')
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img src="data:{kind};base64,{data}" alt="{escape(caption)}">'
            f"<figcaption>{escape(path.name)}</figcaption></figure>")


def figures(paths: Sequence[Path]) -> str:
    """Figures side by side, as many as the page's width holds."""
    return f'<div class="figures">{"".join(figure(p) for p in paths)}</div>' if paths else ""


def badges(counts: dict[str, int]) -> str:
    """Status counts (``ok 12``, ``diverged 1``) as coloured badges."""
    return "".join(f'<span class="badge {escape(status)}">{escape(status)} {count}</span>'
                   for status, count in counts.items() if count)


def pre(text: str) -> str:
    return f"<pre>{escape(text)}</pre>"


def items(lines: Iterable[str]) -> str:
    lines = [f"<li>{escape(line)}</li>" for line in lines]
    return f"<ul>{''.join(lines)}</ul>" if lines else ""


def section(title: str, body: str, anchor: str = "") -> str:
    """A titled part of a page (nothing when ``body`` is empty)."""
    if not body:
        return ""
    ident = f' id="{escape(anchor)}"' if anchor else ""
    return f"<section{ident}><h2>{escape(title)}</h2>{body}</section>"


def page(title: str, subtitle: str, sections: Iterable[str]) -> str:
    """A whole page: ``sections`` (already markup) under a title, with the page's
    style and script inline."""
    made = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(title)}</h1><p class=\"muted\">{subtitle}</p>"
            f"{''.join(sections)}"
            f'<p class="muted">written by sweepnet on {escape(made)}</p>'
            f"<script>{SCRIPT}</script></body></html>")


__all__ = ["badges", "cell_text", "escape", "figure", "figures", "file_size", "items", "page",
           "pre", "section", "table"]
