"""The shadow deployment section: one row per shadow deployed, its figures as last polled; no section for
a stack state that never showed a shadow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.report import write_reports
from tests.report.markdown_tables import section, table_rows
from tests.report.report_data import LOAD_START, make_samples, make_summary, make_windows


def _shadow(
    version: str | None, started: float | None, stopped: float | None, mirrored: int
) -> dict[str, Any]:
    return {
        "version": version, "share": 0.5, "status": "none" if version is None else "active",
        "started_at": started, "stopped_at": stopped, "mirrored": mirrored, "dropped": 3, "errors": 30,
        "timeouts": 1, "agreement": 0.9735, "mean_abs_diff": 0.0256, "p50_ms": 18.6, "p99_ms": 647.1,
    }  # fmt: skip


def _report(tmp_path: Path, shadows: list[dict[str, Any]]) -> str:
    samples = make_samples()
    snapshots = [{"polled_at": LOAD_START + i, "shadow": shadow} for i, shadow in enumerate(shadows)]
    written = write_reports(
        tmp_path, make_summary("shadow", [], [], samples), samples, make_windows(samples), [],
        snapshots=snapshots,
    )  # fmt: skip
    return written["report.md"].read_text(encoding="utf-8")


def test_each_shadow_deployed_is_one_row_with_its_last_polled_figures(tmp_path: Path) -> None:
    first, second = LOAD_START + 2, LOAD_START + 9
    markdown = _report(
        tmp_path,
        [
            _shadow(None, None, None, 0),
            _shadow("v2-bad", first, None, 10),
            _shadow("v2-bad", first, LOAD_START + 6, 100),
            _shadow("v2-inverted", second, None, 40),
        ],
    )
    assert table_rows(markdown, "v2-bad") == [
        ["v2-bad", "50%", "+2.0s", "+6.0s", "100", "3", "30", "1", "97.35%", "0.0256", "18.6 ms", "647.1 ms"]
    ]
    assert table_rows(markdown, "v2-inverted")[0][2:5] == ["+9.0s", "still running", "40"]
    assert "users got stable's answers" in section(markdown, "Shadow deployment")


def test_no_shadow_in_the_state_means_no_section(tmp_path: Path) -> None:
    assert "## Shadow deployment" not in _report(tmp_path, [_shadow(None, None, None, 0)])
    assert "## Shadow deployment" not in _report(tmp_path / "none", [])
