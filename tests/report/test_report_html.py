"""The HTML report stands alone (nothing fetched), shows the plots inline and prints user text verbatim."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

from tests.report.conftest import RenderedRun


class _Collector(HTMLParser):
    """Collects tags, attributes and text as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.highlighted_rows: list[str] = []
        self._in_highlight = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "tr":
            self._in_highlight = attributes.get("class") == "highlight"
            if self._in_highlight:
                self.highlighted_rows.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._in_highlight = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_highlight:
            self.highlighted_rows[-1] += data + " "


def _parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_html_has_no_external_references(failed_run: RenderedRun) -> None:
    html = failed_run.text("report.html")
    page = _parse(html)
    assert not [tag for tag, _ in page.tags if tag in ("script", "link", "iframe", "object")]
    for _, attributes in page.tags:
        for name in ("src", "href"):
            assert attributes.get(name) is None or attributes[name].startswith("data:image/png;base64,")
    assert not re.search(r"url\(|@import|https?://", html)


def test_plots_are_inlined_byte_for_byte(passed_run: RenderedRun) -> None:
    page = _parse(passed_run.text("report.html"))
    sources = [attributes["src"] for tag, attributes in page.tags if tag == "img"]
    inlined = [base64.b64decode(src.split(",", 1)[1]) for src in sources if src]
    names = ("latency", "errors", "traffic_share", "attempts")
    on_disk = [passed_run.written[f"plots/{name}.png"].read_bytes() for name in names]
    assert inlined == on_disk


def test_user_text_is_escaped_not_interpreted(failed_run: RenderedRun) -> None:
    html = failed_run.text("report.html")
    assert "<script>" not in html and "<b>" not in html
    assert "drill&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = "".join(_parse(html).text)
    assert "Drill report: drill<script>alert(1)</script>$x_1$ — FAIL" in text
    assert "p99 > 250ms | <b>bold</b> &" in text


def test_failed_expectations_and_faults_are_highlighted(
    failed_run: RenderedRun, passed_run: RenderedRun
) -> None:
    rows = _parse(failed_run.text("report.html")).highlighted_rows
    assert any(row.startswith("recovery slow-cpu") and "FAIL" in row for row in rows)
    assert any(row.startswith("slow-cpu latency") and "never" in row for row in rows)
    assert not any("recovery kill-gpu" in row for row in rows)
    assert 'class="verdict verdict-fail"' in failed_run.text("report.html")
    assert _parse(passed_run.text("report.html")).highlighted_rows == []
    assert 'class="verdict verdict-pass"' in passed_run.text("report.html")


def test_incomplete_html_says_nothing_was_recorded(incomplete_run: RenderedRun) -> None:
    text = " ".join(_parse(incomplete_run.text("report.html")).text)
    assert "INCOMPLETE" in text
    assert "stack did not become ready within 30s" in text
    assert "No requests were recorded" in text
