"""What every trends page must show in a real browser, shared by the page's own tests and the end-to-end
drills whose history it plots."""

from __future__ import annotations

from pathlib import Path

from tests.trends.chromium import load_page

MEASURE = """(() => [...document.querySelectorAll('figure.plot')].map(figure => {
  const svg = figure.querySelector('svg');
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  return {scenario: figure.dataset.scenario, metric: figure.dataset.metric, width: box.width,
          height: box.height, paths: figure.querySelectorAll('svg path').length,
          links: [...figure.querySelectorAll('a')].map(a => a.getAttribute('xlink:href'))};
}))()"""
RUN_PLOTS = {"score", "error_rate", "latency_p99", "attempts"}


def check_trends_page(page: Path, faults: dict[str, list[str]]) -> list[dict]:
    """`faults`: scenario -> its fault names. The page loads without a console error or exception, and
    each scenario has its run-wide plots and a recovery plot per fault, each drawn at a readable size.
    Returns the plots as measured in the browser."""
    loaded = load_page(page, MEASURE)
    assert loaded.errors == [], loaded.errors
    plots = loaded.measured
    assert {p["scenario"] for p in plots} == set(faults)
    for scenario, names in faults.items():
        expected = RUN_PLOTS | {f"recovery:{name}" for name in names}
        assert {p["metric"] for p in plots if p["scenario"] == scenario} == expected, scenario
    for plot in plots:
        assert plot["width"] > 200 and plot["height"] > 80 and plot["paths"] > 5, plot
    return plots
