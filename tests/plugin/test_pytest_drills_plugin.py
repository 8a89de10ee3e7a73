"""`pytest --drills DIR` in a team's own project: each drill file a test, a failing one naming its report."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import entry_points

import pytest

from tests.e2e.drills import scenario, write_scenario

KILL = {"name": "kill", "kind": "node-kill", "at": "1s", "duration": "2s", "target": "gpu-0"}


def pytest_in(folder, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    return subprocess.run(argv, cwd=folder, capture_output=True, text=True, timeout=300)


def test_the_plugin_is_installed_through_its_entry_point():
    assert [e.value for e in entry_points(group="pytest11") if e.name == "chaosdrill"] == [
        "harness.pytest_plugin"
    ]


@pytest.mark.slow
def test_drill_files_are_collected_and_run_and_a_failing_one_names_its_report(tmp_path):
    drills = tmp_path / "drills"
    drills.mkdir()
    write_scenario(drills, scenario("holds", [KILL], {"errors": ["rate < 2%"]}, duration="4s", users=3))
    write_scenario(drills, scenario("breaks", [KILL], {"errors": ["rate < 0.1%"]}, duration="4s", users=3,
                                    profile="fragile"))  # fmt: skip
    (tmp_path / "test_own.py").write_text("def test_the_teams_own_test():\n    assert True\n")
    result = pytest_in(
        tmp_path, "--drills", "drills", "--drills-out", "runs", "--junitxml", "junit.xml", "-rf"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 2 passed" in result.stdout, result.stdout
    line = next(x for x in result.stdout.splitlines() if x.startswith("drill ") and " FAIL " in x)
    report = line.split("report: ")[1]
    assert report.startswith(str(tmp_path / "runs" / "breaks-")) and report.endswith("/report.md")
    assert (tmp_path / report).is_file()
    assert "FAIL errors: rate < 0.1%" in result.stdout
    cases = {c.get("name"): c for c in ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")}
    assert set(cases) == {"holds", "breaks", "test_the_teams_own_test"}
    assert cases["breaks"].find("failure") is not None and cases["holds"].find("failure") is None
    properties = {p.get("name"): p.get("value") for p in cases["breaks"].iter("property")}
    assert properties["report"].endswith("/report.html")


def test_a_missing_drills_folder_is_a_usage_error(tmp_path):
    result = pytest_in(tmp_path, "--drills", "nowhere")
    assert result.returncode == 4 and "--drills" in result.stderr and "no such folder" in result.stderr
