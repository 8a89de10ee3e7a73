"""Postmortem-style reports of a run: Markdown, self-contained HTML, JUnit XML and plots."""

from harness.report.writer import write_reports

__all__ = ["write_reports"]
