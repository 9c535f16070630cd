"""The page around the report's sections: one inline stylesheet, no scripts, no fonts to fetch."""

from __future__ import annotations

from html import escape

STYLE = """
:root { color-scheme: light; --ink: #18181b; --muted: #71717a; --line: #e4e4e7; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px 32px 64px; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 32px 0 8px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
p.meta, p.note { color: var(--muted); margin: 4px 0; }
section { break-inside: avoid; }
svg.chart { width: 100%; height: auto; display: block; background: #fafafa; }
svg.chart text { font-size: 11px; fill: var(--muted); }
svg.chart line.grid { stroke: var(--line); stroke-width: 1; }
svg.chart rect.cell:hover, svg.chart polygon.marker:hover { stroke: var(--ink); stroke-width: 1; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { color: var(--muted); font-weight: 600; }
.tables { display: flex; gap: 40px; flex-wrap: wrap; align-items: flex-start; }
.scroll { max-height: 520px; overflow: auto; border: 1px solid var(--line); }
.scroll thead th { position: sticky; top: 0; background: #fff; }
.positive { color: #15803d; } .negative { color: #b91c1c; }
"""


def page(title: str, subtitle: str, sections: list[str]) -> str:
    """Return the whole HTML document; ``sections`` are already-escaped HTML fragments."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f'<body><header><h1>{escape(title)}</h1><p class="meta">{escape(subtitle)}</p></header>'
        + "".join(sections)
        + "</body></html>\n"
    )


def section(name: str, heading: str, body: str) -> str:
    """Return one titled section; ``body`` is already-escaped HTML."""
    return f'<section id="{escape(name)}"><h2>{escape(heading)}</h2>{body}</section>'


def table(header: list[str], rows: list[list[str]], css: str = "") -> str:
    """Return a table of text cells, every cell escaped here."""
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td{_tone(cell)}>{escape(cell)}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    table_html = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="{css}">{table_html}</div>' if css else table_html


def _tone(cell: str) -> str:
    # colour signed percentages so gains and losses read at a glance
    if cell.endswith("%") and cell.startswith("-"):
        return ' class="negative"'
    if cell.endswith("%") and cell[:1].isdigit() and cell not in {"0.00%", "0.0%"}:
        return ' class="positive"'
    return ""
