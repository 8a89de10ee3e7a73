"""Tables whose cells may link to other files (a suite's drill reports, a trend's failed runs), in
Markdown and in HTML, escaped the way the run reports are."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape as html_escape
from urllib.parse import quote

from harness.report.markdown import escape as md_escape


@dataclass(frozen=True)
class Link:
    text: str
    target: str
    """A path relative to the page (or an absolute one), not yet URL-quoted."""

    @property
    def href(self) -> str:
        return quote(self.target, safe="/:#")


Cell = str | Link


def markdown_table(
    headers: list[str], rows: list[list[Cell]], highlighted: frozenset[int] = frozenset()
) -> str:
    def cell(value: Cell, strong: bool) -> str:
        text = f"[{md_escape(value.text)}]({value.href})" if isinstance(value, Link) else md_escape(value)
        return f"**{text}**" if strong and text else text

    lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(c, i in highlighted) for c in row) + " |" for i, row in enumerate(rows)]
    return "\n".join(lines)


def html_table(headers: list[str], rows: list[list[Cell]], highlighted: frozenset[int] = frozenset()) -> str:
    def cell(value: Cell) -> str:
        if isinstance(value, Link):
            return f'<td><a href="{html_escape(value.href)}">{html_escape(value.text)}</a></td>'
        return f"<td>{html_escape(value)}</td>"

    head = "".join(f"<th>{html_escape(h)}</th>" for h in headers)
    body = []
    for index, row in enumerate(rows):
        attributes = ' class="highlight"' if index in highlighted else ""
        body.append(f"<tr{attributes}>{''.join(cell(c) for c in row)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
