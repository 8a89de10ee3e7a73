"""Reading the Markdown report's tables back, as a reader's tool would."""

from __future__ import annotations

import re


def table_rows(markdown: str, first_cell: str) -> list[list[str]]:
    """Table rows whose first cell is first_cell, split on unescaped pipes, bold markers stripped."""
    rows = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [c.strip().strip("*") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            if cells and cells[0] == first_cell:
                rows.append(cells)
    return rows


def section(markdown: str, title: str) -> str:
    """The text of the `## title` section, without its heading; empty when there is none."""
    if f"\n## {title}\n" not in markdown:
        return ""
    return markdown.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
