"""Render the report view as Markdown (CommonMark with GitHub tables), e.g. for CI job summaries."""

from __future__ import annotations

import re

from harness.report.document import ReportView, Section, Table

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#$])")
"""Markup characters, `$` included: GitHub renders `$...$` as math."""


def escape(text: str) -> str:
    """Backslash-escape everything Markdown could read as markup, so names and messages print verbatim."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.splitlines()))


def _cell(text: str, highlighted: bool) -> str:
    escaped = escape(text)
    return f"**{escaped}**" if highlighted and escaped else escaped


def _table(table: Table) -> list[str]:
    lines = ["| " + " | ".join(escape(h) for h in table.headers) + " |", "|" + "---|" * len(table.headers)]
    for index, row in enumerate(table.rows):
        highlighted = index in table.highlighted
        lines.append("| " + " | ".join(_cell(c, highlighted) for c in row) + " |")
    return lines


def _section(section: Section) -> list[str]:
    lines = [f"## {escape(section.title)}", ""]
    for paragraph in section.paragraphs:
        lines += [escape(paragraph), ""]
    if section.bullets:
        lines += [f"- {escape(b)}" for b in section.bullets] + [""]
    if section.table is not None:
        lines += [*_table(section.table), ""]
    for image in section.images:
        lines += [f"![{escape(image.title)}]({image.relative_path})", ""]
    return lines


def render_markdown(view: ReportView) -> str:
    verdict = f"**Verdict: {escape(view.verdict)}** — {escape(view.verdict_reason)}"
    lines = [f"# {escape(view.title)}", "", verdict, ""]
    for section in view.sections:
        lines += _section(section)
    return "\n".join(lines).rstrip() + "\n"
