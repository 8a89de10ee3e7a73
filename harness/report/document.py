"""The report as a format-neutral document: sections of paragraphs, bullets, tables and images.

Markdown and HTML render this same structure, so every sentence and figure is worded once by the section
builders and the two reports cannot drift apart. Text here is plain (unescaped); each renderer escapes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    highlighted: frozenset[int] = frozenset()
    """Indexes of rows a reader must not miss (failed expectations, faults that went wrong)."""


@dataclass(frozen=True)
class Image:
    title: str
    relative_path: str
    """Relative to the run directory, as Markdown links it."""
    path: Path
    """On disk, for the HTML report to inline."""

    @classmethod
    def in_run(cls, run_dir: Path, title: str, path: Path) -> Image:
        return cls(title, path.relative_to(run_dir).as_posix(), path)


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    table: Table | None = None
    images: list[Image] = field(default_factory=list)


@dataclass(frozen=True)
class ReportView:
    title: str
    verdict: str
    """PASS, FAIL or INCOMPLETE."""
    verdict_reason: str
    sections: list[Section]
