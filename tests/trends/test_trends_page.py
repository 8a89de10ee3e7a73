"""The trends page in a real headless Chromium: it loads without console errors, every plot is there and
drawn, failed runs are marked and link to their reports, and scores come with their inputs."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

from harness.history.location import resolve_history
from harness.history.rows import RunLabels
from harness.history.store import History
from tests.e2e.drills import chaosdrill
from tests.history.recorded_runs import T0, summary
from tests.trends.chromium import load_page
from tests.trends.trends_page_check import check_trends_page


def test_the_trends_page_shows_every_scenario_and_links_failed_runs(tmp_path):
    history_url = str(tmp_path / "history.sqlite")
    reports = tmp_path / "reports"
    with History(resolve_history(history_url)) as history:
        for index, recovery in enumerate([1.0, 1.2, 6.0, None, 0.8]):
            run_dir = reports / f"kill-{index}"
            run_dir.mkdir(parents=True)
            (run_dir / "report.html").write_text("<html><body>report</body></html>")
            verdict = "pass" if recovery is not None and recovery <= 4 else "fail"
            run = summary(f"k{index}", started_at=T0 + index * 86400, recovery_s=recovery, verdict=verdict,
                          run_dir=str(run_dir))  # fmt: skip
            history.record(run, RunLabels(f"v{index}"))
        history.record(summary("o1", scenario="other", started_at=T0), RunLabels())
    out = tmp_path / "trends"
    result = chaosdrill("trends", "--out", str(out), "--history", history_url)
    assert result.returncode == 0, result.stderr
    plots = check_trends_page(out / "index.html", {"kill-drill": ["kill"], "other": ["kill"]})
    recovery = next(p for p in plots if p["scenario"] == "kill-drill" and p["metric"] == "recovery:kill")
    # The failed runs (6 s over the 4 s limit; never recovered) are linked, each to its own report.
    linked = {unquote(href) for href in recovery["links"] if href}
    assert linked >= {"../reports/kill-2/report.html", "../reports/kill-3/report.html"}
    for href in linked:
        assert (out / href).resolve().is_file(), href
    html = (out / "index.html").read_text()
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<script" not in html  # self-contained
    assert "(met 50%, headroom 0%, budget left 80%)" in html  # a score never without its inputs


def test_the_browser_check_sees_console_errors(tmp_path):
    """The check above can fail: a page that throws and logs an error is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>console.error('plot missing'); null.x;</script></body></html>")
    loaded = load_page(page, "document.title")
    assert any("plot missing" in e for e in loaded.errors) and loaded.exceptions, json.dumps(loaded.console)
