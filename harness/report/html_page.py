"""Render the report view as one self-contained HTML page.

Reports are archived as CI artefacts and opened offline, so nothing is fetched: the CSS is inline and
the plots are embedded as base64 data URIs.
"""

from __future__ import annotations

import base64
from html import escape

from harness.report.document import Image, ReportView, Section, Table

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 70rem;
       padding: 0 1rem; color: #1f2328; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 0 0 .4rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; margin-top: 2rem; }
.verdict { padding: .8rem 1rem; border-radius: 6px; border-left: 6px solid; }
.verdict-pass { background: #dafbe1; border-color: #1a7f37; }
.verdict-fail { background: #ffebe9; border-color: #cf222e; }
.verdict-incomplete { background: #fff8c5; border-color: #9a6700; }
.verdict-error { background: #ffebe9; border-color: #82071e; }
.verdict-halted { background: #ffebe9; border-color: #bc4c00; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
tr.highlight td { background: #ffebe9; font-weight: 600; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; border: 1px solid #d0d7de; }
figcaption { font-size: .85rem; color: #59636e; }
"""


def _data_uri(image: Image) -> str:
    return "data:image/png;base64," + base64.b64encode(image.path.read_bytes()).decode("ascii")


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    body = []
    for index, row in enumerate(table.rows):
        attributes = ' class="highlight"' if index in table.highlighted else ""
        cells = "".join(f"<td>{escape(c)}</td>" for c in row)
        body.append(f"<tr{attributes}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(image: Image) -> str:
    return (
        f'<figure><img src="{_data_uri(image)}" alt="{escape(image.title)}">'
        f"<figcaption>{escape(image.title)} ({escape(image.relative_path)})</figcaption></figure>"
    )


def _section(section: Section) -> str:
    parts = [f"<h2>{escape(section.title)}</h2>"]
    parts += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
    if section.bullets:
        parts.append("<ul>" + "".join(f"<li>{escape(b)}</li>" for b in section.bullets) + "</ul>")
    if section.table is not None:
        parts.append(_table(section.table))
    parts += [_figure(image) for image in section.images]
    return "<section>" + "\n".join(parts) + "</section>"


def render_html(view: ReportView) -> str:
    verdict_class = f"verdict verdict-{view.verdict.lower()}"
    header = (
        f'<header class="{verdict_class}"><h1>{escape(view.title)}</h1>'
        f"<p><strong>Verdict: {escape(view.verdict)}</strong> — {escape(view.verdict_reason)}</p></header>"
    )
    return html_document(view.title, "\n".join([header, *(_section(s) for s in view.sections)]))


def html_document(title: str, body: str, css: str = "") -> str:
    """A whole page around `body` (HTML), in the reports' style plus `css`: also the suite index and the
    trends page."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}{css}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
