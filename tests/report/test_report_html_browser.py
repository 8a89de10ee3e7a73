"""report.html in a real headless Chromium: the postmortem sections are there and drawn, the response table
has a row per fault, and the page logs no error. Its twin proves the check catches a page without them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import RenderedRun
from tests.report.postmortem_data import POSTMORTEM
from tests.trends.chromium import LoadedPage, load_page

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")

MEASURE = """(() => {
  const sections = [...document.querySelectorAll('section')];
  const headings = Object.fromEntries(sections.map(s => {
    const h = s.querySelector('h2');
    return [h.textContent, h.offsetHeight];
  }));
  const response = sections.find(s => s.querySelector('h2').textContent === 'Response per fault');
  const rows = response ? [...response.querySelectorAll('tbody tr')].map(r => r.cells[0].textContent) : null;
  return {headings, rows};
})()"""
"""Each section's heading with its rendered height (0: not drawn), and the response table's first cells."""


def postmortem_problems(page: LoadedPage, faults: list[str]) -> list[str]:
    """What a reader of the page would miss: a postmortem heading absent or not drawn, a fault without its
    response row, an error in the console."""
    measured: dict[str, Any] = page.measured or {}
    headings = measured.get("headings", {})
    problems = [f"{title}: missing" for title in POSTMORTEM if title not in headings]
    problems += [f"{title}: not drawn" for title in POSTMORTEM if headings.get(title) == 0]
    if measured.get("rows") != faults:
        problems.append(f"response rows {measured.get('rows')}, expected {faults}")
    return problems + [f"console: {error}" for error in page.errors]


def test_the_postmortem_renders_in_chromium(postmortem_run: RenderedRun) -> None:
    page = load_page(postmortem_run.written["report.html"], MEASURE)
    assert postmortem_problems(page, ["kill-gpu", "slow-cpu"]) == []


def test_the_browser_check_catches_a_page_without_the_postmortem(
    postmortem_run: RenderedRun, tmp_path: Path
) -> None:
    html = postmortem_run.text("report.html")
    html = re.sub(r"<section><h2>Response per fault</h2>.*?</section>", "", html, flags=re.DOTALL)
    html = html.replace("<h2>Where we got lucky</h2>", '<h2 style="display:none">Where we got lucky</h2>')
    html = html.replace("</body>", "<script>console.error('section failed')</script></body>")
    broken = tmp_path / "report.html"
    broken.write_text(html, encoding="utf-8")
    problems = postmortem_problems(load_page(broken, MEASURE), ["kill-gpu", "slow-cpu"])
    assert problems == [
        "Response per fault: missing",
        "Where we got lucky: not drawn",
        "response rows None, expected ['kill-gpu', 'slow-cpu']",
        "console: section failed",
    ]
