"""Every run gives the same set of files, and the plots are real, non-blank images."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.image import imread

from tests.report.conftest import RenderedRun

EXPECTED = {
    "report.md",
    "report.html",
    "junit.xml",
    "plots/latency.png",
    "plots/errors.png",
    "plots/traffic_share.png",
    "plots/attempts.png",
}


@pytest.mark.parametrize("run_name", ["passed_run", "failed_run", "incomplete_run"])
def test_every_file_is_written_where_the_names_say(run_name: str, request: pytest.FixtureRequest) -> None:
    run: RenderedRun = request.getfixturevalue(run_name)
    assert set(run.written) == EXPECTED
    for name, path in run.written.items():
        assert path == run.run_dir / name
        assert path.stat().st_size > 200


@pytest.mark.parametrize("run_name", ["passed_run", "incomplete_run"])
def test_plots_are_valid_pngs_with_content(run_name: str, request: pytest.FixtureRequest) -> None:
    run: RenderedRun = request.getfixturevalue(run_name)
    for name in EXPECTED - {"report.md", "report.html", "junit.xml"}:
        pixels = imread(run.written[name])
        height, width = pixels.shape[:2]
        assert width >= 800 and height >= 300
        rgb = (pixels[..., :3] * 255).astype(np.uint32)
        colours = np.unique((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2])
        assert len(colours) > 50, f"{name} looks blank"


def test_traffic_plot_shows_more_colours_than_an_empty_run(
    passed_run: RenderedRun, incomplete_run: RenderedRun
) -> None:
    """The stacked replica bars add colour; the empty run only has axes, shading and a note."""

    def coloured_fraction(run: RenderedRun) -> float:
        pixels = imread(run.written["plots/traffic_share.png"])[..., :3]
        saturation = pixels.max(axis=2) - pixels.min(axis=2)
        return float((saturation > 0.3).mean())

    assert coloured_fraction(passed_run) > 0.3
    assert coloured_fraction(incomplete_run) < 0.05


def test_a_stack_without_chaosdrill_headers_still_gets_every_file(tmp_path) -> None:
    """Regression: no X-Attempts header on any response crashed the attempts plot (NaN axis limits)."""
    from harness.report import write_reports
    from tests.report.report_data import make_events, make_faults, make_samples, make_summary, make_windows

    samples = make_samples().assign(attempts=-1, replica="", version="")
    faults = make_faults(latency_recovered=True)
    summary = make_summary("foreign-stack", [], faults, samples)
    written = write_reports(tmp_path, summary, samples, make_windows(samples), make_events(faults))
    assert set(written) == EXPECTED
